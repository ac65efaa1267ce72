#include "trainer/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace augur::trainer {

double ScheduleFactor(const ScheduleConfig& c, double x) {
  x = std::clamp(x, 0.0, 1.0);
  const double w = c.warmup_fraction;
  if (w > 0.0 && x < w) return x / w;
  const double f = c.final_lr_fraction;
  // Progress through the post-warmup part, in [0, 1].
  const double p = w < 1.0 ? (x - w) / (1.0 - w) : 1.0;
  switch (c.shape) {
    case ScheduleShape::kLinearDecay:
      return f + (1.0 - f) * (1.0 - p);
    case ScheduleShape::kCosine:
      return f + (1.0 - f) * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
    case ScheduleShape::kConstant:
      return 1.0;
    case ScheduleShape::kWarmupStableDecay: {
      const double decay_start = std::max(w, 1.0 - c.decay_fraction);
      if (x <= decay_start || decay_start >= 1.0) return 1.0;
      return 1.0 - (1.0 - f) * (x - decay_start) / (1.0 - decay_start);
    }
  }
  return 1.0;
}

absl::Status ValidateSchedule(const ScheduleConfig& c) {
  if (!(c.warmup_fraction >= 0.0 && c.warmup_fraction < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.warmup_fraction = ", c.warmup_fraction, " must be in [0, 1)"));
  }
  if (!(c.final_lr_fraction >= 0.0 && c.final_lr_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.final_lr_fraction = ", c.final_lr_fraction, " must be in [0, 1]"));
  }
  if (c.shape == ScheduleShape::kWarmupStableDecay &&
      !(c.decay_fraction > 0.0 && c.decay_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule.decay_fraction = ", c.decay_fraction, " must be in (0, 1]"));
  }
  return absl::OkStatus();
}

absl::string_view ScheduleShapeName(ScheduleShape shape) {
  switch (shape) {
    case ScheduleShape::kLinearDecay:
      return "linear_decay";
    case ScheduleShape::kCosine:
      return "cosine";
    case ScheduleShape::kConstant:
      return "constant";
    case ScheduleShape::kWarmupStableDecay:
      return "wsd";
  }
  return "unknown";
}

absl::StatusOr<ScheduleShape> ParseScheduleShape(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "linear_decay" || n == "linear" || n == "d2z") return ScheduleShape::kLinearDecay;
  if (n == "cosine") return ScheduleShape::kCosine;
  if (n == "constant") return ScheduleShape::kConstant;
  if (n == "wsd" || n == "warmup_stable_decay") return ScheduleShape::kWarmupStableDecay;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown schedule shape '", name, "' (expected linear_decay, cosine, constant or wsd)"));
}

}  // namespace augur::trainer
