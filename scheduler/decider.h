// The stopping policy at work. Milestone events from the curves become decision rounds on the
// decider's thread: events that arrive together are coalesced per (sweep, group, milestone),
// every round is planned (RoundPlanner), and all their decisions, STOP and CONTINUE, are stored
// with the stops they cause in one transaction, which goes ahead of the point writer's
// (CommitPriority). Then the stop orders are queued on the workers' sessions and the stopped
// trials' rows are handed on. A transaction that fails is tried again after `retry_after` on
// the clock; nothing of it took effect.
//
// Threads: Queue from any thread; one decider thread. Thread-safe.
#ifndef AUGUR_SCHEDULER_DECIDER_H_
#define AUGUR_SCHEDULER_DECIDER_H_

#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "scheduler/activity.h"
#include "scheduler/commit_priority.h"
#include "scheduler/round_planner.h"
#include "scheduler/scheduler_observer.h"
#include "scheduler/session_registry.h"
#include "scheduler/store.h"
#include "scheduler/trial_curves.h"

namespace augur {

class Decider {
 public:
  // Everything given must outlive the decider; `observer` may be null. `decided` is called on
  // the decider's thread after each committed transaction, with the trials it stopped.
  Decider(Store* store, const Clock* clock, const TrialCurves* curves, SessionRegistry* sessions,
          CommitPriority* priority, Activity* activity, SchedulerObserver* observer,
          std::function<void(std::vector<v1::Trial>)> decided,
          absl::Duration retry_after = absl::Milliseconds(100));
  ~Decider();
  Decider(const Decider&) = delete;
  Decider& operator=(const Decider&) = delete;

  void Start();
  // Joins the thread; queued events are dropped (the milestones they name are found again as
  // undecided when the sweep is next loaded). Idempotent.
  void Stop();

  void Queue(CurveEvent event);
  // Blocks until nothing is queued, no round is running and no retry is due on the clock.
  void WaitIdle();

 private:
  using Due = std::map<RoundKey, absl::Time>;  // Round -> its earliest event.
  void Loop();
  void Run(const std::vector<CurveEvent>& events, Due due);
  // Stores the rounds' decisions; returns the rounds to try again.
  Due Commit(std::vector<PlannedRound> rounds);

  Store* const store_;
  const Clock* const clock_;
  SessionRegistry* const sessions_;
  CommitPriority* const priority_;
  Activity* const activity_;
  SchedulerObserver* const observer_;
  const std::function<void(std::vector<v1::Trial>)> decided_;
  const absl::Duration retry_after_;
  RoundPlanner planner_;  // The decider's thread only.

  absl::Mutex mu_;
  std::vector<CurveEvent> queue_ ABSL_GUARDED_BY(mu_);
  Due retry_ ABSL_GUARDED_BY(mu_);
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_DECIDER_H_
