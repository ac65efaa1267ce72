// The trainer's one schedule helper: which training fraction an optimizer update takes its
// learning rate at. The schedule itself (shapes, settings, values) is common/schedule.h, shared
// with the predictor and the CLI. Thread-safe (pure).
#ifndef AUGUR_TRAINER_SCHEDULE_H_
#define AUGUR_TRAINER_SCHEDULE_H_

#include <cstdint>

namespace augur::trainer {

// Training fraction at which optimizer update `step_index` (0-based) of `total_steps` takes
// its learning rate: the midpoint of the step, so neither the first warmup update nor the last
// decay update is spent at exactly zero.
inline double ScheduleFractionForUpdate(int64_t step_index, int64_t total_steps) {
  return (static_cast<double>(step_index) + 0.5) / static_cast<double>(total_steps);
}

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_SCHEDULE_H_
