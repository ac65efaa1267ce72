// What the dashboard's JSON endpoints answer (docs/dashboard.md), without HTTP: the server
// (http_server.h) parses a request, calls one method, and maps the status to a code; the
// benchmark calls the same methods. Errors are the scheduler's (NOT_FOUND for an unknown sweep
// or trial, INVALID_ARGUMENT for a bad parameter, FAILED_PRECONDITION for an action the
// trial's state forbids). Thread-safe.
#ifndef AUGUR_DASHBOARD_API_H_
#define AUGUR_DASHBOARD_API_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dashboard/curve_cache.h"
#include "nlohmann/json.hpp"
#include "scheduler/scheduler.h"

namespace augur::dashboard {

// Ranking rows per page of the sweep endpoint (and of the curves endpoint without a trial
// list) unless asked otherwise, and at most.
inline constexpr int64_t kDefaultTrialPage = 100;
inline constexpr int64_t kMaxTrialPage = 1000;

// One page of a sweep's ranking: rows offset + 1 ... offset + page_size, best first. A page
// past the end is empty.
struct TrialPageQuery {
  int64_t offset = 0;                     // >= 0.
  int64_t page_size = kDefaultTrialPage;  // >= 1; more than kMaxTrialPage is cut to it.
};

struct CurveQuery {
  // Points per curve at most; 0 sends every point (what the benchmark compares against).
  size_t points = 1000;
  // L(t)/L(T) against t/T instead of loss against tokens.
  bool normalized = false;
  // Short ("t007") or full trial ids, at most kMaxTrialPage; empty for the trials of `page`
  // (with, in the normalized view, the sweep's reference runs: ReferenceTail).
  std::vector<std::string> trials;
  TrialPageQuery page;
  // A zoomed chart: only the points with x (tokens, or the fraction when normalized) in
  // [x_from, x_to], and the nearest on each side, with `points` per curve for that range alone
  // (read from the store: the cache is too coarse for a narrow range). Infinite: no bound.
  double x_from = -std::numeric_limits<double>::infinity();
  double x_to = std::numeric_limits<double>::infinity();
  bool Ranged() const {
    return x_from > -std::numeric_limits<double>::infinity() ||
           x_to < std::numeric_limits<double>::infinity();
  }
};

enum class TrialAction { kStop, kPause, kResume };

class DashboardApi {
 public:
  // `scheduler` must outlive the API.
  explicit DashboardApi(Scheduler* scheduler);

  absl::StatusOr<nlohmann::json> Sweeps(int page_size, const std::string& page_token);
  // The sweep with its summary (trial_counts, best_trial_id: the store's, whatever the size of
  // the sweep), one page of its ranking, and its recent events. INVALID_ARGUMENT for a negative
  // offset or a page_size below 1.
  absl::StatusOr<nlohmann::json> Sweep(const std::string& sweep_id,
                                       const TrialPageQuery& page = {});
  // JSON text, written curve by curve: every point of a large sweep is hundreds of megabytes.
  // The page's trials, or the ones listed (those not of the sweep are left out).
  absl::StatusOr<std::string> Curves(const std::string& sweep_id, const CurveQuery& query);
  // One trial with its decisions and curve, read alone: the row has no rank (finding it would
  // rank the sweep). NOT_FOUND for a trial not of the sweep.
  absl::StatusOr<nlohmann::json> Trial(const std::string& sweep_id, const std::string& trial,
                                       size_t points);

  // `who` is logged with the action (the caller's principal).
  absl::StatusOr<nlohmann::json> Act(const std::string& sweep_id, const std::string& trial,
                                     TrialAction action, const std::string& reason,
                                     const std::string& who);
  absl::StatusOr<nlohmann::json> Tag(const std::string& sweep_id,
                                     const std::vector<std::string>& add,
                                     const std::vector<std::string>& remove,
                                     const std::string& who);

  // Scheduler::WaitForChange: the version the live updates announce.
  int64_t WaitForChange(int64_t seen, absl::Duration timeout);

 private:
  // The trials a curves answer shows, in order.
  absl::StatusOr<std::vector<v1::RankingRow>> CurveTrials(const std::string& sweep_id,
                                                          const CurveQuery& query);

  Scheduler* const scheduler_;
  CurveCache cache_;
};

// "t007" within `sweep_id` -> "SWEEP/t007"; a full id is returned as it is.
std::string FullTrialId(const std::string& sweep_id, const std::string& trial);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_API_H_
