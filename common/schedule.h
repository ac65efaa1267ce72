// The learning-rate schedule: the one definition of its shapes, settings, names and values,
// shared by the trainer (the LR it applies), the predictor (the eta(x) of the normalized form),
// the CLI (spec, summary, CSV export) and the scheduler. Its own small target
// (augur_schedule) with no LibTorch, gRPC or protobuf, so every component can link it;
// conversions to and from the proto enum are in common/schedule_proto.h.
//
// The value is a multiplier of the peak learning rate as a pure function of the settings and
// the training fraction x = step / total_steps, clamped to [0, 1]. Every shape starts with a
// linear warmup from 0 over [0, warmup_fraction) to the shape's value at the end of warmup (1
// for the analytic shapes); after it, u = (x - w) / (1 - w) runs from 0 to 1 and the shape
// applies. Thread safety: plain values and pure functions.
#ifndef AUGUR_COMMON_SCHEDULE_H_
#define AUGUR_COMMON_SCHEDULE_H_

#include <array>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace augur {

// Names (ScheduleShapeName) are the canonical ones written everywhere; ParseScheduleShape also
// reads the older names noted below, which shipped curve files and models still contain.
enum class ScheduleShape {
  kLinearDecay,  // "linear_decay" (was "d2z", "linear"): linear from 1 to final_lr_fraction.
  kCosine,       // "cosine" (also "cos"): half cosine from 1 to final_lr_fraction.
  kConstant,     // "constant": 1 after warmup.
  kWsd,          // "wsd" (also "warmup_stable_decay"): 1 until the last decay_fraction of
                 // training (never before warmup ends), then linear to final_lr_fraction.
  kTabulated,    // "tabulated": piecewise-linear `table`, e.g. read from a logged lr column.
                 // Only the predictor reads one; the trainer and sweep specs reject it.
};

inline constexpr std::array<ScheduleShape, 5> kAllScheduleShapes = {
    ScheduleShape::kLinearDecay, ScheduleShape::kCosine, ScheduleShape::kConstant,
    ScheduleShape::kWsd, ScheduleShape::kTabulated};

struct ScheduleSettings {
  ScheduleShape shape = ScheduleShape::kLinearDecay;
  double warmup_fraction = 0.1;    // In [0, 1).
  double decay_fraction = 0.2;     // kWsd only: length of the final decay, in (0, 1].
  double final_lr_fraction = 0.0;  // Value at x = 1 for the decaying shapes (0: decay to zero).
  // kTabulated only: (x, value) sorted by x, covering the post-warmup part at least. Outside
  // the table the value is held at its first or last entry.
  std::vector<std::pair<double, double>> table{};
};

// Multiplier of the peak learning rate at training fraction `x` (clamped to [0, 1]).
double ScheduleFactor(const ScheduleSettings& settings, double x);

// The canonical name: linear_decay, cosine, constant, wsd or tabulated.
absl::string_view ScheduleShapeName(ScheduleShape shape);

// Any name above, canonical or old, in any case. INVALID_ARGUMENT for anything else.
absl::StatusOr<ScheduleShape> ParseScheduleShape(absl::string_view name);

}  // namespace augur

#endif  // AUGUR_COMMON_SCHEDULE_H_
