// What a curve file's logged `lr` column says about a run's schedule: where its warmup ends,
// whether it agrees with the schedule the file names, and which one the predictor uses
// (docs/curves.md, "Schedule and the lr column"). Pure functions; thread-safe.
#ifndef AUGUR_PREDICTOR_LR_COLUMN_H_
#define AUGUR_PREDICTOR_LR_COLUMN_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"

namespace augur::predictor {

// A logged lr within this fraction of the largest logged lr counts as "at the peak".
inline constexpr double kLrPeakTolerance = 0.01;
// A named schedule and the lr column disagree when, at some logged point, eta(x) and
// lr / (largest logged lr) differ by more than this (a fraction of the peak).
inline constexpr double kLrScheduleTolerance = 0.05;

// The warmup fraction the lr column shows: where the logged lr first reaches its peak (within
// kLrPeakTolerance), refined between logged points by the linear ramp from 0 that
// common/schedule.h defines. nullopt when the column cannot tell: no positive lr, or the peak
// is first reached at the last logged point (a partial run may still be warming up). A
// decaying schedule logged more coarsely than its warmup shows no point at the true peak; the
// answer then lies between the two logged points around the warmup's end.
std::optional<double> WarmupFromLr(const std::vector<CurvePoint>& points);

// Largest |ScheduleFactor(schedule, x) - lr / peak| over the points with a positive lr, peak
// being the largest logged lr. 0 when no point has one.
double LrDisagreement(const ScheduleSettings& schedule, const std::vector<CurvePoint>& points);

// How a run's schedule was settled (for the reader's notes).
struct ScheduleResolution {
  enum class Warmup { kColumn, kLrColumn, kDefault, kLrStillRising };
  Warmup warmup = Warmup::kColumn;
  // The lr column disagreed with the named (or default) schedule by `disagreement`.
  bool disagrees = false;
  double disagreement = 0;
  bool used_lr_column = false;  // For eta(x); false when it does not reach the run's end.
};

// Settles `controls.schedule` (and `schedule_label`) of one run from the `schedule` name as
// written (empty: none given), whether a warmup column gave `schedule.warmup_fraction`, and
// the logged lr in `points`. `complete_lr` says the lr column reaches the run's end. The
// caller sets every other schedule setting first. INVALID_ARGUMENT (message without file and
// line) for a name that is no shape when there is no lr column to read the schedule from.
absl::StatusOr<ScheduleResolution> ResolveSchedule(const std::string& schedule_name,
                                                   bool warmup_given,
                                                   const std::vector<CurvePoint>& points,
                                                   bool complete_lr, CurveControls& controls);

// Collects the resolutions of a file's runs into notes of one line per kind (never per point
// or per run), naming the runs.
class ScheduleNotes {
 public:
  void Add(const std::string& run_id, const std::string& schedule_name,
           const ScheduleResolution& r);
  std::vector<std::string> Lines(const std::string& filename) const;

 private:
  struct Runs {
    std::vector<std::string> ids;
    double largest = 0;  // Disagreement.
  };
  std::vector<std::string> default_warmup_, rising_warmup_;
  // By schedule name as written: the lr column used, or kept out (it stops before the end).
  std::map<std::string, Runs> used_, kept_;
};

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_LR_COLUMN_H_
