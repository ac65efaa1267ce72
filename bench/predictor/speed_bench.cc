// Speed: calibration on 100 curves x 1,000 points, and one prediction, each against a naive
// implementation measured in the same run.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "bench/predictor/bench_common.h"
#include "predictor/alignment.h"
#include "predictor/calibration.h"
#include "predictor/synthetic.h"

namespace augur::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Keeps the timed loops from being optimized away.
volatile double g_sink = 0;
using predictor::CurvePoint;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Naive prediction: minimize the squared error over L(T) numerically (golden section),
// re-evaluating the reference at every point on every iteration.
double NaivePredict(const std::vector<CurvePoint>& prefix, const predictor::Reference& ref,
                    double start) {
  auto cost = [&](double final_loss) {
    double ss = 0;
    for (const CurvePoint& p : prefix) {
      if (p.fraction < start) continue;
      const double r = p.loss / final_loss - ref.Normalized(p.fraction);
      ss += r * r;
    }
    return ss;
  };
  double a = 0.5 * prefix.back().loss, b = 1.5 * prefix.back().loss;
  const double g = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 60; ++i) {
    const double c1 = b - g * (b - a), c2 = a + g * (b - a);
    if (cost(c1) < cost(c2)) {
      b = c2;
    } else {
      a = c1;
    }
  }
  return (a + b) / 2;
}

}  // namespace

int RunSpeedSection() {
  std::printf("\n== Speed ==\n");
  const predictor::FormConstants k{0.12, -0.5, 0.8, 0.15};
  std::vector<predictor::Curve> refs;
  for (int i = 0; i < 100; ++i) {
    predictor::CurveControls c;
    c.schedule.warmup_fraction = 0.1;
    c.tau = 0.03 * std::pow(1.05, i % 40);
    c.tokens_per_param = 10 * std::pow(1.5, i % 7);
    c.total_steps = 20000;
    predictor::SyntheticOptions o;
    o.points = 1000;
    o.noise_rel = 0.005;
    o.ar1 = 0.3;
    o.noise_seed = 100 + i;
    refs.push_back(predictor::FormCurve("s", k, c, 3.0, o));
  }
  for (int folds : {0, 5}) {
    predictor::FitOptions o;
    o.cv_folds = folds;
    double best = 1e9;
    predictor::Calibration cal;
    for (int rep = 0; rep < 3; ++rep) {
      const auto t0 = Clock::now();
      auto r = predictor::FitForm(refs, o);
      const auto t1 = Clock::now();
      best = std::min(best, Seconds(t0, t1));
      if (r.ok()) cal = *r;
    }
    std::printf("fit 100 curves x 1000 points (%s): %.3f s (target < 1 s), MAE %.3f%%\n",
                folds ? "with 5-fold held-out error model" : "constants only", best, 100 * cal.mae);
  }
  // Objective evaluation: the fit's precomputed form (one exp per point) against evaluating
  // the objective from the raw curves each time (smooth, resample, pow), as a naive fit would.
  {
    predictor::FitOptions o;
    const int reps = 20;
    auto t0 = Clock::now();
    double sink = 0;
    for (int i = 0; i < reps; ++i) sink += predictor::MacroMae(k, refs, o);
    auto t1 = Clock::now();
    const double naive = Seconds(t0, t1) / reps;
    o.cv_folds = 0;
    t0 = Clock::now();
    auto fit = predictor::FitForm(refs, o);
    t1 = Clock::now();
    g_sink = sink + (fit.ok() ? fit->mae : 0.0);
    std::printf(
        "naive objective evaluation: %.2f ms; a naive fit of the same ~2,500 "
        "evaluations would take ~%.1f s (%.0fx the measured fit)\n",
        1e3 * naive, 2500 * naive, 2500 * naive / Seconds(t0, t1));
  }
  // One prediction: 300-point prefix (x = 0.3 of a 1000-point curve).
  {
    const predictor::Curve& c = refs[17];
    const auto prefix = predictor::PrefixTo(c.points, 0.3);
    const predictor::FormReference ref(predictor::ParamsFor(k, c.controls), c.controls.schedule,
                                       predictor::DefaultErrorModel());
    const int reps = 20000;
    double sink = 0;
    auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i) {
      auto p = predictor::AlignAndPredict(prefix, ref, 0.1);
      sink += p->final_loss;
    }
    auto t1 = Clock::now();
    const double fast = Seconds(t0, t1) / reps;
    const int naive_reps = 500;
    t0 = Clock::now();
    for (int i = 0; i < naive_reps; ++i) sink += NaivePredict(prefix, ref, 0.1);
    t1 = Clock::now();
    const double naive = Seconds(t0, t1) / naive_reps;
    g_sink = sink;
    std::printf(
        "one prediction (%zu-point prefix, closed-form alignment + interval): %.1f us "
        "(target < 50 us); naive numerical minimization: %.1f us (%.0fx slower)\n",
        prefix.size(), 1e6 * fast, 1e6 * naive, naive / fast);
  }
  return 0;
}

}  // namespace augur::bench
