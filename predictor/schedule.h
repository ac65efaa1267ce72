// Learning-rate schedules as pure functions of the training fraction x = step / total_steps.
//
// eta(x) is normalized to 1 at its peak. Every shape starts with a linear warmup from 0 to 1
// over [0, warmup_fraction]; after it, u = (x - w) / (1 - w) runs from 0 to 1 and the shape
// applies. The trainer (trainer/) implements the same formulas for its LR; keep them in step.
// Thread safety: all functions are pure.
#ifndef AUGUR_PREDICTOR_SCHEDULE_H_
#define AUGUR_PREDICTOR_SCHEDULE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace augur::predictor {

enum class ScheduleShape {
  kLinearDecay,  // "d2z": linear from 1 at the end of warmup to final_lr_fraction (0) at x = 1.
  kCosine,       // Half cosine from 1 to final_lr_fraction.
  kConstant,     // 1 after warmup.
  kWsd,          // Warmup-stable-decay: 1 until x = 1 - decay_fraction, then linear to final.
  kTabulated,    // Piecewise-linear table of (x, eta), e.g. read from a logged lr column.
};

struct ScheduleSpec {
  ScheduleShape shape = ScheduleShape::kLinearDecay;
  // Grouping key for calibration ("per schedule shape"). Empty means ShapeName(shape).
  std::string label;
  double warmup_fraction = 0.1;    // In [0, 1).
  double decay_fraction = 0.2;     // kWsd only: length of the cooldown, as a fraction.
  double final_lr_fraction = 0.0;  // eta at x = 1 for decaying shapes (0 = decay to zero).
  // kTabulated only: (x, eta) sorted by x, covering the post-warmup part at least.
  std::vector<std::pair<double, double>> table;

  // The label used to match calibrations: `label` if set, otherwise the shape name.
  std::string Key() const;
};

// eta(x) with warmup, clamped to x in [0, 1].
double ScheduleEta(const ScheduleSpec& spec, double x);

// eta(x) as used inside the normalized form (METHOD.md §3): identical to ScheduleEta after
// warmup, and 1 during warmup. The form models the annealing benefit of a falling LR; during
// warmup the loss is dominated by fast early progress, and a rising eta would make the form
// predict a *lower* loss there, the wrong direction. See docs/method.md.
double FormEta(const ScheduleSpec& spec, double x);

// "d2z" (also "linear", "linear_decay"), "cosine", "constant", "wsd", "tabulated".
absl::StatusOr<ScheduleShape> ParseScheduleShape(absl::string_view name);
std::string ShapeName(ScheduleShape shape);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_SCHEDULE_H_
