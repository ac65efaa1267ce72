#include "predictor/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace augur::predictor {
namespace {

double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

double TableEta(const std::vector<std::pair<double, double>>& table, double x) {
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

// The shape after warmup, at fraction x >= warmup_fraction.
double ShapeEta(const ScheduleSpec& s, double x) {
  const double w = std::clamp(s.warmup_fraction, 0.0, 0.999);
  const double u = Clamp01((x - w) / (1.0 - w));
  const double f = s.final_lr_fraction;
  switch (s.shape) {
    case ScheduleShape::kLinearDecay:
      return f + (1.0 - f) * (1.0 - u);
    case ScheduleShape::kCosine:
      return f + (1.0 - f) * 0.5 * (1.0 + std::cos(std::numbers::pi * u));
    case ScheduleShape::kConstant:
      return 1.0;
    case ScheduleShape::kWsd: {
      const double d = std::clamp(s.decay_fraction, 1e-9, 1.0);
      const double start = 1.0 - d;
      if (x <= start) return 1.0;
      const double v = Clamp01((x - start) / d);
      return f + (1.0 - f) * (1.0 - v);
    }
    case ScheduleShape::kTabulated:
      return TableEta(s.table, x);
  }
  return 1.0;
}

}  // namespace

std::string ScheduleSpec::Key() const { return label.empty() ? ShapeName(shape) : label; }

double ScheduleEta(const ScheduleSpec& spec, double x) {
  x = Clamp01(x);
  const double w = spec.warmup_fraction;
  if (w > 0 && x < w) {
    // Tabulated schedules usually log no points inside warmup; warm up to the table's start.
    const double peak = spec.shape == ScheduleShape::kTabulated ? ShapeEta(spec, w) : 1.0;
    return peak * x / w;
  }
  return ShapeEta(spec, x);
}

double FormEta(const ScheduleSpec& spec, double x) {
  x = Clamp01(x);
  if (x < spec.warmup_fraction) return ShapeEta(spec, spec.warmup_fraction);
  return ShapeEta(spec, x);
}

absl::StatusOr<ScheduleShape> ParseScheduleShape(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "d2z" || n == "linear" || n == "linear_decay") return ScheduleShape::kLinearDecay;
  if (n == "cosine" || n == "cos") return ScheduleShape::kCosine;
  if (n == "constant") return ScheduleShape::kConstant;
  if (n == "wsd") return ScheduleShape::kWsd;
  if (n == "tabulated") return ScheduleShape::kTabulated;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown schedule shape '", name, "' (expected d2z, cosine, constant, wsd or tabulated)"));
}

std::string ShapeName(ScheduleShape shape) {
  switch (shape) {
    case ScheduleShape::kLinearDecay:
      return "d2z";
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

}  // namespace augur::predictor
