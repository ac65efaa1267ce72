// A connection to the scheduler's SweepService for one `augur` command.
//
// Connect() waits a short, fixed time for the channel to come up, so an unreachable scheduler
// fails fast with a one-line reason naming the address instead of hanging in gRPC retries.
// Every call gets its own deadline, and the process's bearer token (ProcessClientToken, set from
// --token, --token-file or $AUGUR_TOKEN) if any. Not thread-safe except as gRPC stubs are (the stub
// may be used from several threads).
#ifndef AUGUR_CLI_CLIENT_H_
#define AUGUR_CLI_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace augur::cli {

inline constexpr absl::Duration kConnectTimeout = absl::Seconds(3);
inline constexpr absl::Duration kCallTimeout = absl::Seconds(30);

class SchedulerClient {
 public:
  // UNAVAILABLE ("cannot reach the scheduler at ADDRESS ...") if no connection within
  // `connect_timeout`.
  static absl::StatusOr<std::unique_ptr<SchedulerClient>> Connect(
      const std::string& address, absl::Duration connect_timeout = kConnectTimeout);

  const std::string& address() const { return address_; }
  v1::SweepService::Stub& stub() { return *stub_; }

  // A context with a deadline `timeout` from now (none if timeout is infinite).
  static std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = kCallTimeout);

  // The gRPC status as an absl::Status whose message says what failed, e.g.
  // "GetSweep: NOT_FOUND: no sweep s-1". Unavailable names the address.
  absl::Status Check(const grpc::Status& status, std::string_view call) const;

 private:
  SchedulerClient() = default;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

// Rows per GetSweep page the CLI asks for: the scheduler's cap, ~1.5 MB (each page ranks the
// whole sweep on the scheduler, so fewer pages is faster).
inline constexpr int kSweepPageSize = 5000;

// One ListSweeps page, newest first (specs without source_yaml); `page_token` "" for the first.
absl::StatusOr<v1::ListSweepsResponse> ListSweepsPage(SchedulerClient& client,
                                                      const std::string& page_token = "");
// One GetSweep page: `page_token` "" for the first, else a next_page_token (an offset).
absl::StatusOr<v1::GetSweepResponse> FetchSweepPage(SchedulerClient& client,
                                                    const std::string& sweep_id, int page_size,
                                                    const std::string& page_token);
// Calls GetSweep page after page (each with the client's deadline) and hands each to `visit`,
// until the last page or until `visit` returns false. Memory: one page.
absl::Status ForEachSweepPage(SchedulerClient& client, const std::string& sweep_id,
                              const std::function<bool(v1::GetSweepResponse& page)>& visit,
                              int page_size = kSweepPageSize);
// The sweep with the first `max_rows` rows of its ranking and as many of its decisions (all
// of both when max_rows < 0), assembled from pages.
absl::StatusOr<v1::GetSweepResponse> FetchSweep(SchedulerClient& client,
                                                const std::string& sweep_id, int64_t max_rows = -1);
// Streams the sweep's curves (or those of `trial_ids`, full or short ids) by ExportCurves,
// one message at a time: a long curve comes as several consecutive messages of one trial.
absl::Status ForEachCurve(SchedulerClient& client, const std::string& sweep_id,
                          const std::vector<std::string>& trial_ids,
                          const std::function<bool(v1::TrialCurve& curve)>& visit);
// Every curve, each trial's messages joined into one.
absl::StatusOr<std::vector<v1::TrialCurve>> FetchCurves(SchedulerClient& client,
                                                        const std::string& sweep_id,
                                                        const std::vector<std::string>& trial_ids);

}  // namespace augur::cli

#endif  // AUGUR_CLI_CLIENT_H_
