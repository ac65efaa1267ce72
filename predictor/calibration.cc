#include "predictor/calibration.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "predictor/alignment.h"
#include "predictor/held_out_errors.h"
#include "predictor/nelder_mead.h"
#include "predictor/spikes.h"

namespace augur::predictor {
namespace {

// One reference curve, precomputed so that an objective evaluation costs one exp per point.
struct Prepared {
  const Curve* curve = nullptr;
  std::vector<double> a;  // ((1 + e1) / (x + e1))^m at each grid point.
  std::vector<double> c;  // log(eta(x) + e2).
  std::vector<double> y;  // Observed normalized loss (finite only).
  double c_final = 0;     // log(eta(1) + e2).
  double log_tau = 0;
  double log_tpp = 0;
};

bool Usable(const Curve& c) {
  return c.complete && c.points.size() >= 10 && FirstNonFinite(c.points) < 0;
}

Prepared Prepare(const Curve& curve, const FitOptions& o) {
  Prepared p;
  p.curve = &curve;
  const std::vector<CurvePoint> clean = WithoutSpikes(curve.points);
  const std::vector<CurvePoint> smooth =
      Smooth(clean, o.smooth_window_fraction, SmoothUnit::kFraction);
  const double final_loss = FinalLoss(clean);
  const ScheduleSettings& s = curve.controls.schedule;
  const int g = std::max(2, o.grid_points);
  for (int j = 0; j < g; ++j) {
    const double x = o.x_min + (o.x_max - o.x_min) * j / (g - 1);
    const double v = LossAt(smooth, x);
    if (!std::isfinite(v)) continue;
    p.a.push_back(std::pow((1.0 + kFormE1) / (x + kFormE1), kFormM));
    p.c.push_back(std::log(FormEta(s, x) + kFormE2));
    p.y.push_back(v / final_loss);
  }
  p.c_final = std::log(FormEta(s, 1.0) + kFormE2);
  p.log_tau = curve.controls.tau > 0 ? std::log(curve.controls.tau) : 0.0;
  p.log_tpp = curve.controls.tokens_per_param > 0 ? std::log(curve.controls.tokens_per_param) : 0.0;
  return p;
}

// An exponent is identifiable only if its control really varies: runs planned at one TPP
// differ by a fraction of a percent once rounded to whole steps, and fitting an exponent to
// that noise sends it to absurd values (seen: 16,099). 5% is the smallest spread used.
const double kMinLogSpread = std::log(1.05);

// Internal parameterization theta = (log b at the centre, b_e, log q at the centre, q_e).
struct Problem {
  std::vector<Prepared> curves;
  double mean_log_tau = 0;
  double mean_log_tpp = 0;
  bool fit_b_e = false;
  bool fit_q_e = false;
  double fixed_b_e = 0;  // The exponents' values when not fitted.
  double fixed_q_e = 0;

  std::vector<double> Expand(const std::vector<double>& free) const {
    std::vector<double> t = {free[0], fixed_b_e, free[1], fixed_q_e};
    size_t i = 2;
    if (fit_b_e) t[1] = free[i++];
    if (fit_q_e) t[3] = free[i++];
    return t;
  }

  // Whether a control's spread over `subset` identifies its exponent.
  bool Varies(const std::vector<size_t>& subset, double Prepared::*control) const {
    double lo = 1e300, hi = -1e300;
    for (size_t i : subset) {
      lo = std::min(lo, curves[i].*control);
      hi = std::max(hi, curves[i].*control);
    }
    return hi - lo > kMinLogSpread;
  }

  // The problem restricted to what `subset` can identify: an exponent whose control does not
  // vary within it is held at its value in `theta` (a fit on all curves), and the free
  // parameters to start from.
  std::pair<Problem, std::vector<double>> Restricted(const std::vector<size_t>& subset,
                                                     const std::vector<double>& theta) const {
    Problem r = *this;
    r.fit_b_e = fit_b_e && Varies(subset, &Prepared::log_tau);
    r.fit_q_e = fit_q_e && Varies(subset, &Prepared::log_tpp);
    r.fixed_b_e = theta[1];
    r.fixed_q_e = theta[3];
    std::vector<double> start = {theta[0], theta[2]};
    if (r.fit_b_e) start.push_back(theta[1]);
    if (r.fit_q_e) start.push_back(theta[3]);
    return {std::move(r), std::move(start)};
  }

  double Objective(const std::vector<double>& t, const std::vector<size_t>& subset) const {
    double total = 0;
    for (size_t idx : subset) {
      const Prepared& p = curves[idx];
      const double b = std::exp(t[0] + t[1] * (p.log_tau - mean_log_tau));
      const double q = std::exp(t[2] + t[3] * (p.log_tpp - mean_log_tpp));
      const double inv = 1.0 / (1.0 + b * std::exp(q * p.c_final));
      double sum = 0;
      for (size_t j = 0; j < p.y.size(); ++j) {
        sum += std::abs((p.a[j] + b * std::exp(q * p.c[j])) * inv - p.y[j]);
      }
      total += p.y.empty() ? 0.0 : sum / p.y.size();
    }
    return total / std::max<size_t>(1, subset.size());
  }

  FormConstants ToConstants(const std::vector<double>& t) const {
    FormConstants k;
    k.b_e = t[1];
    k.b_c = std::exp(t[0] - t[1] * mean_log_tau);
    k.q_e = t[3];
    k.q_c = std::exp(t[2] - t[3] * mean_log_tpp);
    return k;
  }
};

std::vector<double> Steps(const Problem& pr) {
  std::vector<double> s = {0.5, 0.5};
  if (pr.fit_b_e) s.push_back(0.3);
  if (pr.fit_q_e) s.push_back(0.3);
  return s;
}

std::vector<double> Minimize(const Problem& pr, const std::vector<size_t>& subset,
                             std::vector<double> start, int restarts) {
  auto f = [&](const std::vector<double>& free) { return pr.Objective(pr.Expand(free), subset); };
  NelderMeadOptions o;
  o.max_evaluations = 400;
  o.tolerance = 1e-12;
  NelderMeadResult r = NelderMead(f, std::move(start), Steps(pr), o);
  for (int i = 0; i < restarts; ++i) {
    std::vector<double> step = Steps(pr);
    for (double& s : step) s *= 0.2;
    NelderMeadResult again = NelderMead(f, r.x, step, o);
    if (again.value <= r.value) r = again;
  }
  return r.x;
}

// Full fit on `subset`: grid then Nelder-Mead from the three best grid points.
std::vector<double> FitFree(const Problem& pr, const std::vector<size_t>& subset) {
  struct Cand {
    double value;
    std::vector<double> free;
  };
  std::vector<Cand> grid;
  const size_t extra = (pr.fit_b_e ? 1 : 0) + (pr.fit_q_e ? 1 : 0);
  for (int i = 0; i < 13; ++i) {
    for (int j = 0; j < 13; ++j) {
      std::vector<double> free = {std::log(0.01) + i * std::log(1000.0) / 12,
                                  std::log(0.05) + j * std::log(100.0) / 12};
      free.resize(2 + extra, 0.0);
      grid.push_back({pr.Objective(pr.Expand(free), subset), free});
    }
  }
  std::stable_sort(grid.begin(), grid.end(),
                   [](const Cand& a, const Cand& b) { return a.value < b.value; });
  std::vector<double> best;
  double best_value = 0;
  for (size_t s = 0; s < 3 && s < grid.size(); ++s) {
    std::vector<double> x = Minimize(pr, subset, grid[s].free, 1);
    const double v = pr.Objective(pr.Expand(x), subset);
    if (best.empty() || v < best_value) {
      best = x;
      best_value = v;
    }
  }
  return best;
}

Problem MakeProblem(const std::vector<const Curve*>& usable, const FitOptions& o) {
  Problem pr;
  double min_tau = 1e300, max_tau = -1e300, min_tpp = 1e300, max_tpp = -1e300;
  for (const Curve* c : usable) {
    pr.curves.push_back(Prepare(*c, o));
    const Prepared& p = pr.curves.back();
    pr.mean_log_tau += p.log_tau / usable.size();
    pr.mean_log_tpp += p.log_tpp / usable.size();
    min_tau = std::min(min_tau, p.log_tau);
    max_tau = std::max(max_tau, p.log_tau);
    min_tpp = std::min(min_tpp, p.log_tpp);
    max_tpp = std::max(max_tpp, p.log_tpp);
  }
  pr.fit_b_e = max_tau - min_tau > kMinLogSpread;
  pr.fit_q_e = max_tpp - min_tpp > kMinLogSpread;
  return pr;
}

}  // namespace

double MacroMae(const FormConstants& k, const std::vector<Curve>& refs, const FitOptions& o) {
  double total = 0;
  int n = 0;
  for (const Curve& c : refs) {
    if (!Usable(c)) continue;
    const Prepared p = Prepare(c, o);
    const FormParams fp = ParamsFor(k, c.controls);
    const double inv = 1.0 / (1.0 + fp.b * std::exp(fp.q * p.c_final));
    double sum = 0;
    for (size_t j = 0; j < p.y.size(); ++j) {
      sum += std::abs((p.a[j] + fp.b * std::exp(fp.q * p.c[j])) * inv - p.y[j]);
    }
    if (!p.y.empty()) {
      total += sum / p.y.size();
      ++n;
    }
  }
  return n == 0 ? kNaN : total / n;
}

absl::StatusOr<Calibration> FitForm(const std::vector<Curve>& refs, const FitOptions& o) {
  std::vector<const Curve*> usable;
  for (const Curve& c : refs) {
    if (Usable(c)) usable.push_back(&c);
  }
  if (usable.empty()) {
    return absl::InvalidArgumentError(
        "no usable reference curve (need complete, finite curves of at least 10 points)");
  }
  const Problem pr = MakeProblem(usable, o);
  std::vector<size_t> all(usable.size());
  std::iota(all.begin(), all.end(), 0);
  const std::vector<double> free = FitFree(pr, all);

  Calibration cal;
  cal.schedule_key = usable.front()->controls.ScheduleKey();
  for (const Curve* c : usable) {
    if (c->controls.ScheduleKey() != cal.schedule_key) cal.schedule_key = "*";
  }
  cal.constants = pr.ToConstants(pr.Expand(free));
  cal.mae = pr.Objective(pr.Expand(free), all);
  cal.curves = static_cast<int>(usable.size());
  cal.dropped = static_cast<int>(refs.size() - usable.size());

  // Held-out error model. The folds hold out what a trial is new in: a trial is of a model size
  // the references never saw, at controls (tau, TPP, schedule) they span. So when the
  // references have several sizes, a fold holds out whole sizes, and a held-out size is
  // predicted as a new sweep would be: from other sizes, its calibration bias included, its
  // pairs sharing one fold's constants. (Holding out a TPP or length of a size the fold still
  // sees would measure an easier step and dilute the quantile.) With one size no fold can
  // measure the size transfer, which the form assumes (METHOD.md §2), and holding out a TPP
  // would measure an extrapolation the trials do not make (on the synthetic sweeps the 90%
  // intervals covered 99-100% that way): curves are dealt out in turn.
  const std::vector<size_t> groups = ComparisonGroups(usable);
  std::vector<size_t> unit;
  {
    std::map<double, size_t> sizes;
    for (const Curve* c : usable) {
      unit.push_back(sizes.try_emplace(c->controls.params, sizes.size()).first->second);
    }
    cal.sizes = static_cast<int>(sizes.size() - sizes.count(0.0));  // Known sizes only.
    if (sizes.size() < 2) std::iota(unit.begin(), unit.end(), 0);
  }
  const size_t n_units = *std::max_element(unit.begin(), unit.end()) + 1;
  const int folds = std::min<int>(std::max(1, o.cv_folds), static_cast<int>(n_units));
  auto fold_of = [&](size_t i) { return static_cast<int>(unit[i] % folds); };
  // A fold that holds out the only curves varying a control (say the references at another
  // TPP) cannot identify that exponent: it keeps the full fit's value rather than fitting noise.
  std::vector<FormConstants> fold_constants(folds, cal.constants);
  if (folds > 1) {
    const std::vector<double> theta = pr.Expand(free);
    for (int f = 0; f < folds; ++f) {
      std::vector<size_t> train;
      for (size_t i = 0; i < usable.size(); ++i) {
        if (fold_of(i) != f) train.push_back(i);
      }
      const auto [fold, start] = pr.Restricted(train, theta);
      fold_constants[f] = fold.ToConstants(fold.Expand(Minimize(fold, train, start, 0)));
    }
  }
  const ErrorModel none{{0.0}, {0.0}, {}, {}, 0, {}};
  std::vector<HeldOutPrediction> held_out;
  for (double x : o.error_fractions) {
    for (size_t i = 0; i < usable.size(); ++i) {
      const Curve& c = *usable[i];
      const FormReference ref(ParamsFor(fold_constants[folds > 1 ? fold_of(i) : 0], c.controls),
                              c.controls.schedule, none);
      auto pred = AlignAndPredict(PrefixTo(c.points, x), ref, c.controls.schedule.warmup_fraction);
      if (!pred.ok()) continue;
      held_out.push_back({x, i, groups[i], pred->final_loss, FinalLoss(c.points)});
    }
  }
  cal.error = ErrorModelFrom(held_out, o.error_fractions);
  if (cal.error.empty()) cal.error = DefaultErrorModel();
  return cal;
}

}  // namespace augur::predictor
