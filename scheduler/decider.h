// The stopping policy at work. Milestone events from the curves become decision rounds on the
// decider's thread: events that arrive together are coalesced per (sweep, group, milestone),
// every round is planned (RoundPlanner). A batch of rounds that stops a trial (or, in a
// synchronous sweep, releases one waiting at a milestone) is stored at once, STOP decisions
// with the stops they cause, CONTINUE decisions with the releases they cause, and any CONTINUE
// decisions waiting, in one transaction that goes ahead of the point writer's
// (CommitPriority); then the stop orders are queued on the workers' sessions and the stopped
// and released trials' rows are handed on. Other CONTINUE
// decisions alone wait (counted as decided) for the next stop, or at most 250 ms on the clock
// (512 of them at most), and are then stored in one transaction; so do the predictions of
// trials waiting at a milestone whose group is not decided yet (PlannedRound::previews). A
// transaction that fails is tried again after `retry_after` on the clock; nothing of it took
// effect.
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
  // the decider's thread after each committed transaction, with the trials it stopped or
  // released (their rows after the change).
  Decider(Store* store, const Clock* clock, const TrialCurves* curves, SessionRegistry* sessions,
          CommitPriority* priority, Activity* activity, SchedulerObserver* observer,
          std::function<void(std::vector<v1::Trial>)> decided,
          absl::Duration retry_after = absl::Milliseconds(100));
  ~Decider();
  Decider(const Decider&) = delete;
  Decider& operator=(const Decider&) = delete;

  void Start();
  // Stores the waiting CONTINUE decisions, then joins the thread; queued events are dropped
  // (the milestones they name are found again as undecided when the sweep is next loaded).
  // Idempotent.
  void Stop();

  void Queue(CurveEvent event);
  // Blocks until nothing is queued, no round is running and no retry is due on the clock.
  void WaitIdle();

 private:
  using Due = std::map<RoundKey, absl::Time>;  // Round -> its earliest event.
  void Loop();
  // Runs the rounds due; `flush`: the deferred CONTINUE decisions are due to be stored.
  void Run(const std::vector<CurveEvent>& events, Due due, bool flush);
  // Stores the rounds' previews, decisions, stops and releases in one transaction, then queues the
  // stop orders and hands on the changed rows. False if the transaction failed (nothing was
  // stored). The first `timed` rounds are reported to the observer (the others were deferred from
  // earlier runs).
  bool Commit(const std::vector<PlannedRound>& rounds, size_t timed);

  Store* const store_;
  const Clock* const clock_;
  SessionRegistry* const sessions_;
  CommitPriority* const priority_;
  Activity* const activity_;
  SchedulerObserver* const observer_;
  const std::function<void(std::vector<v1::Trial>)> decided_;
  const absl::Duration retry_after_;
  // The decider's thread only.
  RoundPlanner planner_;
  // Rounds of CONTINUE decisions only, counted as decided and not stored yet.
  std::vector<PlannedRound> deferred_;
  static constexpr size_t kMaxDeferred = 512;  // Decisions: stored at once beyond this.
  static constexpr absl::Duration kDeferFor = absl::Milliseconds(250);

  absl::Mutex mu_;
  std::vector<CurveEvent> queue_ ABSL_GUARDED_BY(mu_);
  Due retry_ ABSL_GUARDED_BY(mu_);
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time flush_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();  // Deferred decisions due.
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_DECIDER_H_
