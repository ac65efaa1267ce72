// The running sweeps' trials and loss curves, held in memory so that a decision round reads no
// store. Each batch of loss points is fed in once, as it arrives, if it was sent under the live
// lease the curves know of (a decision then never waits for the write queue; the point writer
// makes the same batch durable in parallel). A batch that takes a trial across one of its
// sweep's milestones raises a milestone event (once per trial and milestone). Trial rows are kept
// fresh by whichever part changes a trial's state. A sweep is loaded from the store the first
// time it is needed (after a start or restart) and dropped once it is no longer RUNNING.
//
// Memory grows with the trials that have started, not with the sweep: a trial that was never
// leased and is PENDING ("unstarted": no points, nothing to decide, never a reference the
// policy uses) is not held, only counted in its group (it holds every milestone of a
// synchronous sweep: HasUnstarted). It is held from the first row that shows it otherwise (its
// lease, a pause, an end). Held rows are kept without their trainer config (TrialConfig but
// its resources): decisions read states, ids and curve controls. In a sweep without milestones
// an ended trial (not a reference) is dropped, and memory is its live trials'. In a sweep with
// milestones an ended trial stays held (it is compared at the milestones), but of its curve
// only what a decision round reads of it (round_planner.cc): the points up to the last
// milestone's window (fraction <= last milestone + kMilestoneTolerance; its summary at a
// milestone m is computed from the points up to m's window), and its last point (its progress:
// whether it reached m); not when it reached the milestones (read of live trials only). Ended
// states have no way out, so its curve never grows again. Such a sweep's memory is then its
// live trials' curves plus, per ended trial, its row and at most 1,000 x (last milestone +
// 0.005) + 2 points however long it ran (the default 0.1, 0.15: 157). A load reads little more
// of an ended trial (Store::ReadPointsHead: its points up to 0.2% of training past that window,
// then its last one, kept as stored rather than as the mean of its last 0.1% of training: no
// decision reads its loss). Reference runs are held whole (a round reads their whole curves as
// the reference); they are few.
//
// Events go to the sink given at construction, outside the curves' lock. Thread-safe.
#ifndef AUGUR_SCHEDULER_TRIAL_CURVES_H_
#define AUGUR_SCHEDULER_TRIAL_CURVES_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "common/clock.h"
#include "predictor/curve.h"
#include "scheduler/milestones.h"
#include "scheduler/point_writer.h"
#include "scheduler/store.h"

namespace augur {

// What the curves tell the decider.
struct CurveEvent {
  enum class Kind {
    kMilestone,  // A trial of `group_key` reached `fraction` with a batch that arrived `arrived`.
    kRecheck,    // Decide whatever of the sweep (of `group_key`, if set) is due and undecided:
                 // after a load, after a reference run of the group completed, or (synchronous
                 // sweeps) after a trial of the group stopped holding a milestone.
    kForget,     // The sweep ended and left memory.
  };
  Kind kind = Kind::kMilestone;
  std::string sweep_id;
  std::string group_key;
  double fraction = 0;
  absl::Time arrived;
};

// One trial as a visitor sees it, valid during the visit only.
struct CurveEntry {
  const std::string& trial_id;
  const std::shared_ptr<const v1::Trial>& trial;  // Replaced on change, never changed in place.
  const std::string& group_key;                   // CollapseGroupKey of its controls.
  // Ascending steps, at most ~1,000 per run: points within one 0.1% of training are merged
  // into their mean (a decision round then costs O(trials) whatever the logging rate).
  const std::vector<predictor::CurvePoint>& points;
  const std::map<double, absl::Time>& reached;  // Milestone -> when the trial reached it.
  double run_until;  // Lease.run_until_fraction of its live lease (0 if none, or running on).
};

// A trial that was never leased and is PENDING: no points, and nothing to hold in memory.
inline bool IsUnstarted(const v1::Trial& trial) {
  return trial.state() == v1::TRIAL_STATE_PENDING && trial.attempts() == 0;
}

class TrialCurves {
 public:
  // `store` and `clock` must outlive the curves.
  TrialCurves(Store* store, const Clock* clock, std::function<void(CurveEvent)> sink);

  // Loads the sweep's trials, points and live leases once (then raises a recheck of the whole
  // sweep). A store error leaves it unloaded, to be tried again by the next call.
  void EnsureLoaded(const std::string& sweep_id);
  // Takes an arriving batch of points if it was sent under the trial's live lease (loading its
  // sweep first if needed). A batch under any other token is left to the store, which refuses
  // it; a batch that was taken but is then refused by the store is one that the lease's holder
  // will send again with the same values (trainers are deterministic), so the curve stays true.
  void TakeArrived(const v1::LossPointBatch& batch, absl::Time arrived);
  // Takes the rows a commit changed (lease ends, divergence).
  void TakeCommitted(const CommittedWrites& writes);
  // Replaces trial rows (those of sweeps not loaded are ignored: a load reads them fresh). A
  // RUNNING row keeps the lease token the curves have for it.
  void Update(std::span<const v1::Trial> trials);
  // A lease was granted: the trial's row (RUNNING) and the lease's fencing token. Returns the
  // lease's run_until_fraction: in a synchronous sweep, the next milestone the trial's curve
  // has not reached (RunUntilFraction); otherwise, or for a reference run, 0.
  double Granted(const v1::Trial& trial, int64_t fencing_token);
  // Re-reads one trial's row from the store (and, if it was not held, its points).
  void Refresh(const std::string& trial_id);
  // Drops the sweeps that are no longer RUNNING (raising kForget for each).
  void ForgetEnded();

  // The sweep's stopping policy and its decision fractions, ascending; nullopt if not loaded.
  struct SweepPolicy {
    v1::StoppingPolicy policy;
    std::vector<double> milestones;
    // Trials wait at each milestone for their group (milestones.h): the policy stops trials
    // and is not asynchronous.
    bool synchronous = false;
  };
  std::optional<SweepPolicy> Policy(const std::string& sweep_id) const;
  // The GPU slots a held trial needs (GpuNeed); nullopt if it is not in memory.
  std::optional<int> GpuNeedOf(const std::string& trial_id) const;
  // Whether the group of a loaded sweep has unstarted trials (not references), which hold
  // every milestone of a synchronous sweep. Unstarted trials only ever become fewer, so a false
  // answer stays false.
  bool HasUnstarted(const std::string& sweep_id, const std::string& group_key) const;
  // Calls `visit` once with every held trial of the sweep (of `group_key` only, if not empty),
  // under the curves' lock; `visit` must not call back into the curves. Unstarted trials are
  // left out (HasUnstarted). False if the sweep is not loaded.
  bool Visit(const std::string& sweep_id, const std::string& group_key,
             absl::FunctionRef<void(std::span<const CurveEntry>)> visit) const;
  size_t loaded_sweeps() const;
  // Trial rows held, over every loaded sweep.
  size_t held_trials() const;
  // Curve points held, over every loaded sweep.
  size_t held_points() const;

 private:
  struct TrialMemory {
    std::shared_ptr<const v1::Trial> trial;
    int64_t fencing_token = 0;  // Of the live lease while RUNNING.
    std::string group_key;
    std::vector<predictor::CurvePoint> points;
    int merged = 0;  // Points merged into the last one.
    std::map<double, absl::Time> reached;
    double run_until = 0;  // Of the live lease.
  };
  struct LoadedSweep {
    SweepPolicy policy;
    std::map<std::string, TrialMemory> trials;  // Held: every trial but the unstarted ones.
    std::map<std::string, int64_t> unstarted;   // Group key -> its unstarted non-references.
  };
  // Appends a point to a curve, merging points within one 1/1000 of training.
  static void AppendToCurve(TrialMemory& m, const predictor::CurvePoint& p);
  // Whether memory keeps only what decisions read of the trial (see the top): it ended, is not
  // a reference, and its sweep has milestones.
  static bool KeepsDecisionPrefix(const v1::Trial& trial, const SweepPolicy& policy);
  // The fraction up to which such a trial keeps its points (then its last point).
  static double PrefixLimit(const SweepPolicy& policy);
  // Cuts such a trial's memory down to what decisions read of it; a no-op once cut.
  static void KeepDecisionPrefix(TrialMemory& m, const SweepPolicy& policy);
  // How far a load reads such a trial's curve (Store::ReadPointsHead) before its last point.
  static double HeadToRead(const SweepPolicy& policy);
  // The row as memory keeps it: without its trainer config, but for config.resources.
  static std::shared_ptr<const v1::Trial> Slim(v1::Trial trial);
  // Counts a trial memory did not hold as started: its group has one unstarted trial less.
  static void CountStarted(LoadedSweep& sweep, const v1::Trial& trial);
  // A trial's memory as the store has it: its row, points and live lease's token. `policy`
  // sets run_until.
  static absl::StatusOr<TrialMemory> ReadMemory(Store& store, v1::Trial trial,
                                                const SweepPolicy& policy);
  // Appends a batch under the live lease; returns the milestone events it raises. `loaded`:
  // whether the trial's sweep was found in memory.
  std::vector<CurveEvent> Append(const v1::LossPointBatch& batch, absl::Time arrived, bool& loaded);
  // `fencing_token` < 0: keep the one in memory (for a RUNNING row). Returns the trial's memory
  // (null if its sweep is not loaded).
  TrialMemory* UpdateLocked(const v1::Trial& trial, int64_t fencing_token,
                            std::vector<CurveEvent>& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Holds a live trial of a loaded sweep that memory does not hold (an unstarted one, leased
  // while its sweep was loading), with its points, before a batch of it is appended.
  void Adopt(const std::string& trial_id);

  Store* const store_;
  const Clock* const clock_;
  const std::function<void(CurveEvent)> sink_;
  mutable absl::Mutex mu_;
  std::map<std::string, LoadedSweep> sweeps_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> trial_sweep_ ABSL_GUARDED_BY(mu_);  // trial -> sweep
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_TRIAL_CURVES_H_
