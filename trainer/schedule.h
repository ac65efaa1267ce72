// Learning-rate schedules as pure functions of the training fraction x in [0, 1].
//
// Every shape starts with a linear warmup from 0 to 1 over `warmup_fraction`, then follows its
// shape. The value is a multiplier of the peak learning rate, in [0, 1]. Thread-safe (pure).
#ifndef AUGUR_TRAINER_SCHEDULE_H_
#define AUGUR_TRAINER_SCHEDULE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace augur::trainer {

enum class ScheduleShape {
  kLinearDecay,        // Warmup, then linear decay to final_lr_fraction (0: "D2Z").
  kCosine,             // Warmup, then half-cosine to final_lr_fraction.
  kConstant,           // Warmup, then 1.
  kWarmupStableDecay,  // Warmup, 1, then linear decay over the last decay_fraction.
};

struct ScheduleConfig {
  ScheduleShape shape = ScheduleShape::kLinearDecay;
  double warmup_fraction = 0.1;    // In [0, 1).
  double decay_fraction = 0.2;     // WSD only, in (0, 1].
  double final_lr_fraction = 0.0;  // LR at x = 1 as a fraction of the peak, in [0, 1].
};

// Multiplier of the peak LR at training fraction `x` (clamped to [0, 1]).
double ScheduleFactor(const ScheduleConfig& config, double x);

// Training fraction at which optimizer update `step_index` (0-based) of `total_steps` takes
// its learning rate: the midpoint of the step, so neither the first warmup update nor the last
// decay update is spent at exactly zero.
inline double ScheduleFractionForUpdate(int64_t step_index, int64_t total_steps) {
  return (static_cast<double>(step_index) + 0.5) / static_cast<double>(total_steps);
}

absl::Status ValidateSchedule(const ScheduleConfig& config);

// Short names used in curve CSVs and flags: linear_decay, cosine, constant, wsd.
absl::string_view ScheduleShapeName(ScheduleShape shape);
absl::StatusOr<ScheduleShape> ParseScheduleShape(absl::string_view name);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_SCHEDULE_H_
