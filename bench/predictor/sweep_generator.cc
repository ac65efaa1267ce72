#include "bench/predictor/sweep_generator.h"

#include <cmath>
#include <random>

#include "absl/strings/str_format.h"

namespace augur::bench {

using predictor::Curve;
using predictor::CurvePoint;

std::vector<Curve> GenerateSweep(const TrainingModel& m, const SweepSpec& spec) {
  const double tokens = spec.tpp * spec.params;
  const int64_t steps = std::max<int64_t>(spec.points, std::llround(tokens / spec.batch_tokens));
  // Common random numbers: the per-point noise depends only on the data seed.
  std::vector<double> noise(spec.points);
  {
    std::mt19937_64 rng(spec.data_seed);
    std::normal_distribution<double> z(0, 1);
    double e = 0;
    const double inn = std::sqrt(1 - m.point_ar1 * m.point_ar1);
    for (double& v : noise) {
      e = m.point_ar1 * e + inn * z(rng);
      v = e;
    }
  }
  std::mt19937_64 seed_rng(1000003ULL * (spec.seed + 1) + spec.data_seed);
  std::normal_distribution<double> seed_z(0, 1);
  const double scale = std::pow(spec.params / 1e8, -m.size_exponent);
  std::vector<Curve> out;
  for (double lr : spec.lrs) {
    Curve c;
    c.id = absl::StrFormat("lr%.3g", lr);
    predictor::CurveControls& k = c.controls;
    k.schedule = spec.schedule;
    k.peak_lr = lr;
    k.weight_decay = spec.weight_decay;
    k.batch_tokens = spec.batch_tokens;
    k.params = spec.params;
    k.total_steps = steps;
    k.seed = spec.seed;
    predictor::DeriveControls(k);
    c.complete = true;
    const double penalty = 1 + m.kappa * std::pow(std::max(0.0, std::log(lr / m.lr_crit)), 2);
    const double offset = m.seed_noise * seed_z(seed_rng);
    std::normal_distribution<double> trial_z(0, m.trial_point_noise);
    // Integrate on a fine grid (4 sub-steps per logged point).
    const int sub = 4;
    const double dx = 1.0 / (spec.points * sub);
    double s = 0, ema = 0;
    for (int i = 1; i <= spec.points * sub; ++i) {
      const double x = i * dx;
      const double eta = lr * ScheduleFactor(k.schedule, x);
      s += eta / (eta + m.lr_half) * dx * m.s_scale * spec.tpp / 20.0;
      ema += (eta / m.lr_ref - ema) * std::min(1.0, dx / k.tau);
      if (i % sub != 0) continue;
      const int j = i / sub - 1;
      CurvePoint p;
      p.step = steps * (j + 1) / spec.points;
      p.fraction = static_cast<double>(p.step) / steps;
      p.tokens = p.step * spec.batch_tokens;
      p.lr = eta;
      const double clean =
          scale * (m.e0 + m.a * std::pow(s + m.s0, -m.alpha) * penalty + m.c * ema) + offset;
      p.loss = clean * (1 + m.point_noise * noise[j] + trial_z(seed_rng));
      c.points.push_back(p);
    }
    out.push_back(std::move(c));
  }
  return out;
}

double SeedNoise(const TrainingModel& model, SweepSpec spec, int seeds) {
  std::vector<std::vector<double>> finals(spec.lrs.size());
  for (int s = 0; s < seeds; ++s) {
    spec.seed = s;
    spec.data_seed = 7919 * (s + 1);  // A seed changes the data order too.
    const auto sweep = GenerateSweep(model, spec);
    for (size_t i = 0; i < sweep.size(); ++i) finals[i].push_back(FinalLoss(sweep[i].points));
  }
  double total = 0;
  for (const auto& f : finals) {
    double mean = 0, ss = 0;
    for (double v : f) mean += v / f.size();
    for (double v : f) ss += (v - mean) * (v - mean);
    total += std::sqrt(ss / (f.size() - 1));
  }
  return total / finals.size();
}

}  // namespace augur::bench
