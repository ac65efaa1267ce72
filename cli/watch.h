// Following a sweep's live ranking (WatchRanking), for `augur top --watch` and `augur run`.
//
// In a terminal the whole view (header, ranking table, recent stops) is redrawn in place on
// every update. When the output is not a terminal it degrades to plain lines: one line per
// state change and per stop decision, and a progress line at most every `line_interval`.
// With JSON output every update is one JSON object on its own line.
#ifndef AUGUR_CLI_WATCH_H_
#define AUGUR_CLI_WATCH_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "cli/client.h"
#include "grpcpp/client_context.h"

namespace augur::cli {

struct WatchOptions {
  bool in_place = false;  // Redraw in place (the output is a terminal).
  bool json = false;      // One JSON object per update.
  int min_interval_ms = 1000;
  int max_rows = 100;                                // Ranking rows per update, best first.
  absl::Duration line_interval = absl::Seconds(10);  // Progress lines when not in place.
};

// Header, ranking table and the last stop decisions, as `augur top` shows them.
std::string RenderView(const v1::Sweep& sweep, const std::vector<v1::RankingRow>& ranking,
                       const std::vector<v1::Decision>& stops);

// Follows `sweep_id` until the sweep ends (or `context` is cancelled, e.g. by TryCancel from
// another thread, which is not an error). Returns the last update received.
absl::StatusOr<v1::WatchRankingResponse> WatchSweep(SchedulerClient& client,
                                                    const std::string& sweep_id,
                                                    grpc::ClientContext* context,
                                                    const WatchOptions& options, std::ostream& out);

// True when `out` is std::cout and stdout is a terminal.
bool IsTty(const std::ostream& out);

}  // namespace augur::cli

#endif  // AUGUR_CLI_WATCH_H_
