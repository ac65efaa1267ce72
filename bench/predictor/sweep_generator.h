// Synthetic learning-rate sweeps with known truth for bench_predictor. The loss is NOT
// generated from the normalized form (that would grade the form on its own output); it
// follows a small mechanistic model of training under an LR schedule:
//
//   L(x) = (N / 1e8)^-size_exponent * [E + A * (S(x) + s0)^-alpha * P(eta_peak) + C * ema(x)]
//          + noise
//
// S(x): cumulative effective learning rate ("intrinsic time": s_scale * TPP / 20 * integral
// of eta / (eta + lr_half) over the fraction; it grows with tokens per parameter, not with
// the absolute step count, so that curves collapse across sizes at fixed TPP); ema(x): exponential
// moving average of the LR with the AdamW timescale tau (as a fraction of training), the iterate
// noise that annealing removes; P: a penalty for LRs above a stability threshold. With a decaying
// schedule, a higher LR sits higher mid-run (larger noise term) and ends lower (more progress): the
// trap of METHOD.md §4. Sizes enter as a common factor, so curves of different sizes at the same
// controls collapse up to noise: the empirical finding of [C] that the method relies on (not a
// property of the normalized form, which is what is being tested). Noise: per-point relative noise
// shared by all trials of a sweep (common random numbers, the same data order) plus a per-seed
// offset of the final loss (seed noise).
#ifndef AUGUR_BENCH_PREDICTOR_SWEEP_GENERATOR_H_
#define AUGUR_BENCH_PREDICTOR_SWEEP_GENERATOR_H_

#include <cstdint>
#include <vector>

#include "predictor/curve.h"

namespace augur::bench {

struct TrainingModel {
  double e0 = 2.3;              // Loss floor at 1e8 parameters.
  double size_exponent = 0.04;  // Loss scales as (N / 1e8)^-size_exponent.
  double a = 0.8;               // Progress term scale.
  double alpha = 0.3;
  double s0 = 0.05;
  double lr_half = 1e-3;    // Diminishing returns: S grows by eta / (eta + lr_half) per step.
  double c = 0.08;          // Noise term per unit of LR / lr_ref.
  double lr_ref = 1e-3;     // LR unit.
  double s_scale = 7.6;     // S at the end of a 20-TPP run at a saturating LR.
  double lr_crit = 2.5e-3;  // Above this, the progress term is penalized.
  double kappa = 1.0;
  double point_noise = 0.004;  // Relative, per logged point, shared by the sweep.
  double point_ar1 = 0.3;
  double trial_point_noise = 0.002;  // Relative, per logged point, independent per trial.
  double seed_noise = 0.004;         // Absolute std of the per-seed final offset.
};

struct SweepSpec {
  double params = 1e8;  // Non-embedding parameters.
  double tpp = 20;
  double batch_tokens = 262144;
  double weight_decay = 0.5;
  ScheduleSettings schedule;  // Default: linear decay to zero (D2Z), 10% warmup.
  std::vector<double> lrs;    // Peak LRs of the sweep.
  int points = 1000;
  uint64_t data_seed = 1;  // Shared by every trial of the sweep.
  int seed = 0;            // Model seed (offset of the final loss).
};

// One curve per LR, ids "lr<value>"; controls fully filled (tau, TPP, total_steps...).
std::vector<predictor::Curve> GenerateSweep(const TrainingModel& model, const SweepSpec& spec);

// The same sweep at several model seeds: std of the final loss per LR, averaged over LRs.
double SeedNoise(const TrainingModel& model, SweepSpec spec, int seeds);

}  // namespace augur::bench

#endif  // AUGUR_BENCH_PREDICTOR_SWEEP_GENERATOR_H_
