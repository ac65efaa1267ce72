// Helpers for the multi-process tests: the real augur-scheduler, augur-worker and augur-train
// binaries started as child processes on 127.0.0.1, with their output captured.
#ifndef AUGUR_TESTS_HARNESS_H_
#define AUGUR_TESTS_HARNESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.grpc.pb.h"
#include "augur/v1/worker.grpc.pb.h"
#include "common/test_temp_dir.h"  // TempDir: a test's folder, removed when done.
#include "worker/trial_process.h"

namespace augur::testing {

// A child process whose stdout lines are kept. Killed (SIGKILL) when destroyed.
class Proc {
 public:
  static absl::StatusOr<std::unique_ptr<Proc>> Start(const std::string& binary,
                                                     std::vector<std::string> args);
  // The first line containing `needle`, waiting up to `timeout`.
  absl::StatusOr<std::string> WaitForLine(const std::string& needle, absl::Duration timeout);
  void Kill9();
  // SIGTERM, then waits up to `timeout` for the exit.
  absl::StatusOr<ProcessExit> Terminate(absl::Duration timeout);
  // Waits up to `timeout` for the process to exit on its own.
  absl::StatusOr<ProcessExit> Wait(absl::Duration timeout) { return process_->WaitFor(timeout); }
  std::vector<std::string> lines();
  pid_t pid() const { return process_->pid(); }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<TrialProcess> process_;
};

struct Binaries {
  std::string scheduler, worker, trainer;
};
Binaries FindBinaries();  // From compile definitions set by tests/CMakeLists.txt.

// Starts augur-scheduler with `db` on `*address`, or on a free port when it is empty; fills
// `address` ("127.0.0.1:PORT").
absl::StatusOr<std::unique_ptr<Proc>> StartScheduler(const std::string& db, std::string* address,
                                                     std::vector<std::string> extra = {});
absl::StatusOr<std::unique_ptr<Proc>> StartWorker(const std::string& address,
                                                  const std::string& worker_id,
                                                  const std::string& work_dir);

std::unique_ptr<v1::SweepService::Stub> SweepStub(const std::string& address);
std::unique_ptr<v1::WorkerService::Stub> WorkerStub(const std::string& address);

// Loads a spec from tests/data (paths not checked: the workers resolve them).
absl::StatusOr<v1::SweepSpec> LoadTestSpec(const std::string& name);

// SubmitSweep; the gRPC status as an absl::Status on failure.
absl::StatusOr<v1::SubmitSweepResponse> SubmitSpec(v1::SweepService::Stub& stub,
                                                   const v1::SweepSpec& spec);

// ExportCurves: every trial's durable points, by trial id.
using CurveMap = std::map<std::string, std::vector<v1::LossPoint>>;
absl::StatusOr<CurveMap> ExportAll(v1::SweepService::Stub& stub, const std::string& sweep_id);

// The trial as GetSweep ranks it (empty if the sweep has no such trial).
v1::Trial TrialOf(v1::SweepService::Stub& stub, const std::string& sweep_id,
                  const std::string& trial_id);

// Polls GetSweep until its state is not RUNNING or `timeout` passes.
absl::StatusOr<v1::GetSweepResponse> WaitForSweep(v1::SweepService::Stub& stub,
                                                  const std::string& sweep_id,
                                                  absl::Duration timeout);

}  // namespace augur::testing

#endif  // AUGUR_TESTS_HARNESS_H_
