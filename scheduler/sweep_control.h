// What users do to sweeps and trials through the SweepService: submit (plan and store), read a
// sweep with its ranking, stop, pause and resume trials, cancel a sweep. Each change is made in
// the store first, then the curves' rows are refreshed, orders go to the workers concerned and
// dispatch is woken. Thread-safe (the store serializes).
#ifndef AUGUR_SCHEDULER_SWEEP_CONTROL_H_
#define AUGUR_SCHEDULER_SWEEP_CONTROL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "common/clock.h"
#include "common/random.h"
#include "scheduler/activity.h"
#include "scheduler/dispatcher.h"
#include "scheduler/scheduler_observer.h"
#include "scheduler/scheduler_options.h"
#include "scheduler/session_registry.h"
#include "scheduler/store.h"
#include "scheduler/trial_curves.h"

namespace augur {

class SweepControl {
 public:
  struct Parts {
    Store* store;
    const Clock* clock;
    Random* random;  // Draws the suffix of new sweep ids.
    TrialCurves* curves;
    SessionRegistry* sessions;
    Dispatcher* dispatcher;
    Activity* activity;
    SchedulerObserver* observer;  // May be null.
    SweepLimits limits;
  };
  // Everything in `parts` must outlive this. Without a planner, Submit fails UNIMPLEMENTED.
  SweepControl(Parts parts, SweepPlanner planner) : p_(parts), planner_(std::move(planner)) {}

  absl::StatusOr<v1::SubmitSweepResponse> Submit(const v1::SubmitSweepRequest& req,
                                                 const std::string& owner = "local");
  // A slice of the sweep's ranking and decisions, read from the store's indexes (Store::
  // ReadRanking): memory is the slice's rows, not the sweep's.
  absl::StatusOr<v1::GetSweepResponse> GetSweep(const std::string& sweep_id,
                                                const SweepSlice& slice = {});
  absl::StatusOr<v1::Trial> StopTrial(const std::string& trial_id, const std::string& reason);
  absl::StatusOr<v1::Trial> PauseTrial(const std::string& trial_id, const std::string& reason);
  absl::StatusOr<v1::Trial> ResumeTrial(const std::string& trial_id, const std::string& reason);
  // Running trials are ordered to stop, pending ones never start. Logged with `who`.
  absl::StatusOr<v1::Sweep> CancelSweep(const std::string& sweep_id, const std::string& who,
                                        const std::string& reason);
  // Refused while RUNNING unless `force`, which cancels it first.
  absl::StatusOr<int> DeleteSweep(const std::string& sweep_id, bool force, const std::string& who);
  absl::StatusOr<v1::Sweep> AnnotateSweep(const v1::AnnotateSweepRequest& req,
                                          const std::string& who);
  // Executes the STOP decisions stored but not carried out (the scheduler died in between), so
  // that every stored decision has taken effect. Run once at start.
  void ExecuteStoredStops();

 private:
  // Ends a live trial for good: the store first, then its worker is ordered to stop.
  absl::StatusOr<v1::Trial> EndTrial(const std::string& trial_id, v1::TrialState to,
                                     const std::string& reason);

  const Parts p_;
  const SweepPlanner planner_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SWEEP_CONTROL_H_
