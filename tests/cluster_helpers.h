// Helpers of the multi-process tests that train for real (cluster_test.cc, outage_test.cc):
// submitting, waiting for checkpoints, comparing a finished trial with an uninterrupted run,
// and watching the augur-train processes of a trial.
#ifndef AUGUR_TESTS_CLUSTER_HELPERS_H_
#define AUGUR_TESTS_CLUSTER_HELPERS_H_

#include <initializer_list>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "augur/v1/sweep.grpc.pb.h"
#include "tests/harness.h"

namespace augur::testing {

// SubmitSweep; a test failure (and an empty response) if refused.
v1::SubmitSweepResponse Submit(v1::SweepService::Stub& stub, const v1::SweepSpec& spec);
// ExportCurves; a test failure (and no curves) if refused.
CurveMap Curves(v1::SweepService::Stub& stub, const std::string& sweep_id);
// Every step from 1 to `last` exactly once, in order.
void ExpectContiguous(const std::vector<v1::LossPoint>& points, int64_t last,
                      const std::string& what);
// Runs augur-train on `config` uninterrupted and returns its losses (from its JSON lines, which
// carry full double precision).
std::vector<double> UninterruptedLosses(const v1::TrialConfig& config, const std::string& dir);
// The trial's durable curve has every step once, and its losses equal an uninterrupted run's
// bit for bit.
void ExpectUninterrupted(v1::SweepService::Stub& stub, const std::string& sweep_id,
                         const v1::Trial& finished, const std::string& dir);
// Waits until the trial has committed a checkpoint at step `min_step` or later and trained 5
// steps past it.
v1::Trial WaitForCheckpoint(v1::SweepService::Stub& stub, const std::string& sweep_id,
                            const std::string& trial_id, int64_t min_step = 40);
// PauseTrial or ResumeTrial on one trial; false (with a test failure) if refused.
bool TrialAction(v1::SweepService::Stub& stub, const std::string& trial_id, bool pause);
void Resume(v1::SweepService::Stub& stub, const std::string& id);
// tiny_sweep.yaml without early stopping, at the given learning rates.
v1::SweepSpec PlainSweep(std::initializer_list<double> lrs);

// The step-*.ckpt files anywhere below `dir`.
// The sweep as GetSweep returns it (empty, with a test failure, if the call fails).
v1::GetSweepResponse SweepOf(v1::SweepService::Stub& stub, const std::string& sweep_id);
int CountCheckpoints(const std::string& dir, const std::string& trial_dir = "");

// Counts, every 20 ms until destroyed, the live augur-train processes of each trial (by the
// `--run-id` in their command line, from /proc) and keeps the most seen at once.
class TrainerWatch {
 public:
  TrainerWatch();
  ~TrainerWatch();
  // The most augur-train processes of `trial_id` seen running at the same time.
  int MostAtOnce(const std::string& trial_id);
  // How many run now.
  int Running(const std::string& trial_id);

 private:
  absl::Mutex mu_;
  std::map<std::string, int> most_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> now_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace augur::testing

#endif  // AUGUR_TESTS_CLUSTER_HELPERS_H_
