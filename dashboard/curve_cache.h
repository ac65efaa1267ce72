// Trials' loss curves for the dashboard, downsampled (downsample.h) and kept in memory so that
// a page of 1,000 trials of 10,000 points each does not read 10 million rows per view. An entry
// is reused while the trial's last step is unchanged; a trial that moved on is read again.
// Thread-safe.
#ifndef AUGUR_DASHBOARD_CURVE_CACHE_H_
#define AUGUR_DASHBOARD_CURVE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "augur/v1/sweep.pb.h"
#include "scheduler/scheduler.h"

namespace augur::dashboard {

struct Curve {
  // Same length, by ascending step. `loss` is the training loss (NaN once diverged).
  std::vector<double> tokens, fraction, loss;
  int64_t points_total = 0;  // Points the store holds for the trial.
  int64_t last_step = -1;    // Step of the store's last point; -1 without points.
};

// The points of `curve` at `indices` (ascending).
Curve Select(const Curve& curve, const std::vector<size_t>& indices);

enum class XAxis { kTokens, kFraction };

// The points of `curve` whose x (tokens or training fraction) lies in [from, to], with the
// nearest on each side (RangeIndices), downsampled to at most `max_points` (0: all of them):
// a zoomed view, drawn at the resolution the overview gives the whole curve.
Curve InRange(const Curve& curve, XAxis axis, double from, double to, size_t max_points);

class CurveCache {
 public:
  // `scheduler` must outlive the cache. Entries hold `resolution` points at most; past
  // `max_trials` entries the cache starts again from empty.
  explicit CurveCache(Scheduler* scheduler, size_t resolution = 2000, size_t max_trials = 20000);

  // `trial`'s curve with at most `max_points` points. From memory when the cached entry ends
  // at the trial's last step (`Trial.last_point`) and `max_points` <= resolution; otherwise from
  // the store (whose errors are returned as they are).
  absl::StatusOr<Curve> Get(const v1::Trial& trial, size_t max_points);

  // Every point of the trial from the store, for views that ask for more than the cache keeps.
  absl::StatusOr<Curve> ReadAll(const std::string& trial_id);

 private:
  Scheduler* const scheduler_;
  const size_t resolution_, max_trials_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Curve> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_CURVE_CACHE_H_
