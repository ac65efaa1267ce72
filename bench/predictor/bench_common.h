// Shared pieces of bench_predictor: policy line-ups, aggregation and printing.
#ifndef AUGUR_BENCH_PREDICTOR_BENCH_COMMON_H_
#define AUGUR_BENCH_PREDICTOR_BENCH_COMMON_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "predictor/calibration.h"
#include "predictor/curve.h"
#include "predictor/policy.h"
#include "predictor/reference_source.h"
#include "predictor/replay.h"

namespace augur::bench {

// One named policy configuration ("collapse@0.1", "asha-ray", ...).
struct Contender {
  std::string label;
  predictor::PolicyConfig config;
  std::vector<double> milestones;
};

// The line-up compared at one decision setting. `decide_at` empty = the multi-milestone
// schedule 0.1, 0.2, 0.3; otherwise a single decision at that fraction. `n` = trials per
// sweep (to give ASHA and top-k the same budget as collapse). `form_early`: optional form
// fitted over [0.05, 1] instead of [0.2, 1].
std::vector<Contender> Lineup(const std::vector<double>& milestones, int n,
                              std::shared_ptr<const predictor::ReferenceSource> form,
                              std::shared_ptr<const predictor::ReferenceSource> empirical,
                              std::shared_ptr<const predictor::ReferenceSource> form_early = {});

struct Tally {
  int runs = 0;
  int correct = 0;
  double compute = 0;
  double regret = 0;             // Sum, loss units.
  double regret_in_noise = 0;    // Sum of regret / seed noise.
  std::vector<double> pred_err;  // |err| of predictions at the last milestone.
  // Stops, and false stops: the stopped trial would have ended better than the chosen one by
  // more than 0.1% (collapse's default tolerance).
  int stops = 0;
  int false_stops = 0;
  // Intervals shown at milestones (policies that give one) and how many held the true final.
  int intervals = 0;
  int covered = 0;
  std::map<double, std::pair<int, int>> covered_at;  // Milestone -> (covered, intervals).
  // The same interval computed for every trial at every milestone, stopped or not (the curves run
  // to the end, so the truth is known): the interval's calibration over the whole sweep. The
  // intervals shown above are those of the trials still live, whom survival selects for being
  // near the leader, where predictions are most accurate.
  std::map<double, std::pair<int, int>> every_trial_at;  // Milestone -> (covered, intervals).
  // Each shown interval's |error| over its half-width on the error's side (relative to the true
  // final, as the interval is built): the 90th percentile is 1 for a calibrated 90% interval,
  // below 1 for a conservative one, whatever the number of intervals.
  std::vector<double> error_to_half_width;
  // Runs replayed with a known seed noise, and those whose regret was at most one seed sd.
  int noise_runs = 0;
  int within_noise = 0;
  void Add(const predictor::ReplayResult& r, double seed_noise);
  // Adds every_trial_at for `sweep` under a collapse `config` (nothing for other policies): each
  // complete curve's prefix at each milestone aligned as the policy aligns it.
  void AddEveryTrial(const std::vector<predictor::Curve>& sweep,
                     const predictor::PolicyConfig& config, const std::vector<double>& milestones);
  void Merge(const Tally& other);
};

// Prints one table row per contender label, in first-seen order.
void PrintTallies(const std::vector<std::string>& order, const std::map<std::string, Tally>& t,
                  bool with_noise_units);

double Median(std::vector<double> v);

// Sections of the benchmark; each prints its own tables.
int RunSyntheticSection(int sweeps_per_cell);
void PrintExampleSweep();
struct RealOptions {
  double fit_x_min = predictor::FitOptions{}.x_min;  // The product's default fit range.
  bool window_from_half = false;  // Align on [max(warmup, x/2), x] instead of [warmup, x].
};
int RunLuoSection(const std::string& data_dir, const RealOptions& options);
int RunSpeedSection();
// Augur's own evidence runs: `dir` = bench/data/evidence/full (runs/*.csv, models/*.json).
int RunEvidenceSection(const std::string& dir);

}  // namespace augur::bench

#endif  // AUGUR_BENCH_PREDICTOR_BENCH_COMMON_H_
