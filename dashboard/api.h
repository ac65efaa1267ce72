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

struct CurveQuery {
  // Points per curve at most; 0 sends every point (what the benchmark compares against).
  size_t points = 1000;
  // L(t)/L(T) against t/T instead of loss against tokens.
  bool normalized = false;
  // Short ("t007") or full trial ids; empty for every trial of the sweep.
  std::vector<std::string> trials;
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
  absl::StatusOr<nlohmann::json> Sweep(const std::string& sweep_id);
  // JSON text, written curve by curve: every point of a large sweep is hundreds of megabytes.
  absl::StatusOr<std::string> Curves(const std::string& sweep_id, const CurveQuery& query);
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
  Scheduler* const scheduler_;
  CurveCache cache_;
};

// "t007" within `sweep_id` -> "SWEEP/t007"; a full id is returned as it is.
std::string FullTrialId(const std::string& sweep_id, const std::string& trial);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_API_H_
