#include "common/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace augur {
namespace {

double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

double TableValue(const std::vector<std::pair<double, double>>& table, double x) {
  if (table.empty()) return 1.0;
  if (x <= table.front().first) return table.front().second;
  if (x >= table.back().first) return table.back().second;
  auto it =
      std::lower_bound(table.begin(), table.end(), x,
                       [](const std::pair<double, double>& p, double v) { return p.first < v; });
  const auto& hi = *it;
  const auto& lo = *(it - 1);
  const double span = hi.first - lo.first;
  if (span <= 0) return hi.second;
  return lo.second + (hi.second - lo.second) * (x - lo.first) / span;
}

// The shape at x >= w, where w is the clamped warmup fraction.
double ShapeFactor(const ScheduleSettings& s, double w, double x) {
  const double f = s.final_lr_fraction;
  // Progress through the post-warmup part, in [0, 1].
  const double u = w < 1.0 ? Clamp01((x - w) / (1.0 - w)) : 1.0;
  switch (s.shape) {
    case ScheduleShape::kLinearDecay:
      return f + (1.0 - f) * (1.0 - u);
    case ScheduleShape::kCosine:
      return f + (1.0 - f) * 0.5 * (1.0 + std::cos(std::numbers::pi * u));
    case ScheduleShape::kConstant:
      return 1.0;
    case ScheduleShape::kWsd: {
      // The decay never starts inside warmup, so the value stays continuous at its end.
      const double decay_start = std::max(w, 1.0 - Clamp01(s.decay_fraction));
      if (x <= decay_start || decay_start >= 1.0) return 1.0;
      return f + (1.0 - f) * (1.0 - (x - decay_start) / (1.0 - decay_start));
    }
    case ScheduleShape::kTabulated:
      return TableValue(s.table, x);
  }
  return 1.0;
}

}  // namespace

double ScheduleFactor(const ScheduleSettings& settings, double x) {
  x = Clamp01(x);
  const double w = Clamp01(settings.warmup_fraction);
  // Warmup rises to the shape's value at its end: 1 for the analytic shapes; a table usually
  // logs no point inside warmup, so it warms up to its own start.
  if (x < w) return ShapeFactor(settings, w, w) * x / w;
  return ShapeFactor(settings, w, x);
}

absl::string_view ScheduleShapeName(ScheduleShape shape) {
  switch (shape) {
    case ScheduleShape::kLinearDecay:
      return "linear_decay";
    case ScheduleShape::kCosine:
      return "cosine";
    case ScheduleShape::kConstant:
      return "constant";
    case ScheduleShape::kWsd:
      return "wsd";
    case ScheduleShape::kTabulated:
      return "tabulated";
  }
  return "unknown";
}

absl::StatusOr<ScheduleShape> ParseScheduleShape(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  for (ScheduleShape shape : kAllScheduleShapes) {
    if (n == ScheduleShapeName(shape)) return shape;
  }
  // Older names, still read: curves and models written before the names were unified.
  if (n == "d2z" || n == "linear") return ScheduleShape::kLinearDecay;
  if (n == "cos") return ScheduleShape::kCosine;
  if (n == "warmup_stable_decay") return ScheduleShape::kWsd;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown schedule shape '", name,
                   "' (expected linear_decay, cosine, constant, wsd or tabulated)"));
}

}  // namespace augur
