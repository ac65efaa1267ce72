#include "predictor/reference.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "predictor/alignment.h"
#include "predictor/held_out_errors.h"
#include "predictor/spikes.h"

namespace augur::predictor {

namespace {

// The measured points around x in ascending, non-empty `xs`: (i, i) at xs[i] or beyond an
// end, (i - 1, i) with xs[i - 1] < x < xs[i] between.
std::pair<size_t, size_t> Bracket(const std::vector<double>& xs, double x) {
  if (x <= xs.front()) return {0, 0};
  const size_t i = std::lower_bound(xs.begin(), xs.end(), x) - xs.begin();
  if (i == xs.size()) return {i - 1, i - 1};
  return xs[i] == x ? std::pair{i, i} : std::pair{i - 1, i};
}

double Interpolate(const std::vector<double>& xs, const std::vector<double>& ys, double x) {
  if (xs.empty() || ys.size() != xs.size()) return 0.0;
  const auto [lo, hi] = Bracket(xs, x);
  if (lo == hi) return ys[lo];
  const double t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

}  // namespace

double SmallSampleFactor(int n) {
  if (n <= 0) return 1.0;
  // One-sided 95% quantiles of Student's t with 1-30 degrees of freedom.
  static constexpr double kT95[] = {6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860,
                                    1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746,
                                    1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711,
                                    1.708, 1.706, 1.703, 1.701, 1.699, 1.697};
  constexpr double z = 1.6448536269514722;
  // Beyond 30, the Cornish-Fisher expansion (error below 1e-4 there).
  return (n <= 30 ? kT95[n - 1] : StudentQuantile(z, n)) / z;
}

double ErrorModel::At(double x) const { return Interpolate(fractions, rel_rmse, x); }

double ErrorModel::ScaleAt(double x) const {
  if (held_out.empty() || held_out.size() != fractions.size()) return At(x);
  const auto [lo, hi] = Bracket(fractions, x);
  return At(x) * SmallSampleFactor(std::min(held_out[lo], held_out[hi]));
}

double ErrorModel::Q90At(double x) const {
  return rel_q90.empty() ? kNaN : Interpolate(fractions, rel_q90, x);
}

double ErrorModel::DiffAt(double x) const {
  if (!diff_measured()) return std::sqrt(2.0) * ScaleAt(x);
  const double first = diff_fractions.front();
  const double factor = SmallSampleFactor(diff_pairs);
  if (x >= first) return factor * Interpolate(diff_fractions, rel_diff_rmse, x);
  const double at_first = At(first);
  return at_first > 0 ? factor * rel_diff_rmse.front() * At(x) / at_first
                      : std::sqrt(2.0) * ScaleAt(x);
}

ErrorModel DefaultErrorModel() {
  return ErrorModel{{0.1, 0.2, 0.5}, {0.02, 0.01, 0.01}, {}, {}, 0, {}};
}

FormReference::FormReference(const FormParams& params, ScheduleSettings schedule, ErrorModel error,
                             std::string schedule_key)
    : params_(params),
      schedule_(std::move(schedule)),
      schedule_key_(schedule_key.empty() ? std::string(ScheduleShapeName(schedule_.shape))
                                         : std::move(schedule_key)),
      error_(std::move(error)) {
  inv_final_ = 1.0 / FormRaw(1.0, FormEta(schedule_, 1.0), params_);
}

double FormReference::Normalized(double x) const {
  return FormRaw(x, FormEta(schedule_, x), params_) * inv_final_;
}

std::string FormReference::Describe() const {
  return absl::StrFormat("form(b=%.4g, q=%.4g, schedule=%s)", params_.b, params_.q, schedule_key_);
}

namespace {

constexpr double kGridStep = 0.002;

// Mean normalized curve of `curves` on the grid; NaN where no curve reaches.
std::vector<double> MeanNormalized(const std::vector<const Curve*>& curves,
                                   const std::vector<double>& grid, double smooth) {
  std::vector<double> sum(grid.size(), 0.0);
  std::vector<int> count(grid.size(), 0);
  for (const Curve* c : curves) {
    const std::vector<CurvePoint> clean = WithoutSpikes(c->points);
    const std::vector<CurvePoint> s = Smooth(clean, smooth, SmoothUnit::kFraction);
    const double final_loss = FinalLoss(clean);
    const std::vector<double> v = Resample(s, grid);
    for (size_t j = 0; j < grid.size(); ++j) {
      if (std::isfinite(v[j])) {
        sum[j] += v[j] / final_loss;
        ++count[j];
      }
    }
  }
  std::vector<double> out(grid.size(), kNaN);
  for (size_t j = 0; j < grid.size(); ++j) {
    if (count[j] > 0) out[j] = sum[j] / count[j];
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmpiricalReference>> EmpiricalReference::FromCurves(
    const std::vector<Curve>& curves, double smooth_window_fraction) {
  std::vector<const Curve*> usable;
  for (const Curve& c : curves) {
    if (c.complete && c.points.size() >= 3 && FirstNonFinite(c.points) < 0) usable.push_back(&c);
  }
  if (usable.empty()) {
    return absl::InvalidArgumentError("no complete, finite curve to build an empirical reference");
  }
  std::unique_ptr<EmpiricalReference> ref(new EmpiricalReference());
  const int n = static_cast<int>(std::lround(1.0 / kGridStep));
  for (int i = 0; i <= n; ++i) ref->grid_.push_back(i * kGridStep);
  ref->value_ = MeanNormalized(usable, ref->grid_, smooth_window_fraction);
  // Fill the start (e.g. no points logged during warmup) with the first known value.
  auto first = std::find_if(ref->value_.begin(), ref->value_.end(),
                            [](double v) { return std::isfinite(v); });
  for (auto it = ref->value_.begin(); it != first; ++it) *it = *first;
  for (size_t j = 1; j < ref->value_.size(); ++j) {
    if (!std::isfinite(ref->value_[j])) ref->value_[j] = ref->value_[j - 1];
  }
  ref->curves_ = static_cast<int>(usable.size());
  ref->family_ = "empirical:";
  for (const Curve* c : usable) absl::StrAppend(&ref->family_, c->id, ";");
  ref->error_ = DefaultErrorModel();
  if (usable.size() >= 3) {
    // Leave-one-out: align each curve with the mean of the others. The proxies of one source
    // share their controls, so they form one comparison group.
    const std::vector<double> fractions = {0.05, 0.1, 0.2, 0.3, 0.5, 0.7};
    std::vector<HeldOutPrediction> held_out;
    for (size_t k = 0; k < usable.size(); ++k) {
      std::vector<const Curve*> others;
      for (size_t j = 0; j < usable.size(); ++j) {
        if (j != k) others.push_back(usable[j]);
      }
      EmpiricalReference loo;
      loo.grid_ = ref->grid_;
      loo.value_ = MeanNormalized(others, loo.grid_, smooth_window_fraction);
      for (size_t j = 0; j < loo.value_.size(); ++j) {
        if (!std::isfinite(loo.value_[j])) loo.value_[j] = ref->value_[j];
      }
      loo.error_ = ErrorModel{{0.0}, {0.0}, {}, {}, 0, {}};
      for (double x : fractions) {
        auto pred = AlignAndPredict(PrefixTo(usable[k]->points, x), loo,
                                    usable[k]->controls.schedule.warmup_fraction);
        if (!pred.ok()) continue;
        held_out.push_back({x, k, 0, pred->final_loss, FinalLoss(usable[k]->points)});
      }
    }
    ErrorModel e = ErrorModelFrom(held_out, fractions);
    if (!e.empty()) ref->error_ = std::move(e);
  }
  return ref;
}

double EmpiricalReference::Normalized(double x) const {
  x = std::clamp(x, 0.0, 1.0);
  const double pos = x / kGridStep;
  const size_t i = std::min(static_cast<size_t>(pos), grid_.size() - 2);
  const double t = pos - static_cast<double>(i);
  return value_[i] + t * (value_[i + 1] - value_[i]);
}

std::string EmpiricalReference::Describe() const {
  return absl::StrCat("empirical(", curves_, " curves)");
}

}  // namespace augur::predictor
