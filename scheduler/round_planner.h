// One decision round, planned: for a (sweep, collapse group, milestone), which live trials are
// to be decided there and what the sweep's stopping policy decides for them, computed from the
// in-memory curves. Keeps, per loaded sweep, which trials already have a stored decision at
// which milestone (read from the store when the sweep is first seen) and each trial's policy
// summary at a milestone, stamped with what it was computed from, so that a round summarizes
// only the trials that are new or changed.
//
// Not thread-safe: the decider's thread owns it.
#ifndef AUGUR_SCHEDULER_ROUND_PLANNER_H_
#define AUGUR_SCHEDULER_ROUND_PLANNER_H_

#include <compare>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "common/clock.h"
#include "predictor/policy.h"
#include "scheduler/model_cache.h"
#include "scheduler/policy_runner.h"
#include "scheduler/scheduler_observer.h"
#include "scheduler/store.h"
#include "scheduler/trial_curves.h"

namespace augur {

struct RoundKey {
  std::string sweep_id;
  std::string group_key;
  double fraction = 0;  // The milestone.
  auto operator<=>(const RoundKey&) const = default;
};

struct PlannedRound {
  RoundKey key;
  absl::Time arrived;                   // The earliest milestone event behind it.
  std::vector<v1::Decision> decisions;  // STOP and CONTINUE, to store.
  std::vector<TrialTransition> stops;   // What the STOP decisions do, to apply with them.
  // Synchronous sweeps: trials waiting at the milestone that a CONTINUE (of this round, or
  // stored before) sends back to PENDING, to resume from their checkpoints.
  std::vector<TrialTransition> releases;
  // Synchronous sweeps, while a trial of the group still holds the milestone: the predictions of
  // the trials already waiting there, stored at once without a decision (the round's only
  // content then), so that the ranking shows them before the group is decided.
  std::vector<PredictionWrite> previews;
  std::map<std::string, absl::Time> reached;  // When each decided trial reached the milestone.
  absl::Time start, decided;                  // When planning started and the policy returned.
};

class RoundPlanner {
 public:
  // Everything given must outlive the planner; `observer` may be null.
  RoundPlanner(Store* store, const Clock* clock, const TrialCurves* curves,
               SchedulerObserver* observer);

  // Plans the round; nullopt when nobody is to be decided (or the sweep left memory). Trials in
  // `stopping` (stopped by an earlier round of the same transaction) are left out, and the ones
  // this round stops are added. In a synchronous sweep, while a live trial of the group holds
  // the milestone (HoldsMilestone), nothing is decided: the round is planned again on the event
  // that ends the hold, and meanwhile it holds only the previews of trials newly waiting there
  // (nullopt when there are none). An error only when the store's decisions cannot be read.
  absl::StatusOr<std::optional<PlannedRound>> Plan(const RoundKey& key, absl::Time arrived,
                                                   std::set<std::string>& stopping);
  // The rounds due in the sweep (in `group_key` only, if set): a live trial has passed the
  // milestone without a stored decision there (or, synchronous, waits there decided).
  absl::StatusOr<std::vector<RoundKey>> Undecided(const std::string& sweep_id,
                                                  const std::string& group_key);
  // Counts a trial as decided at milestone m (its decision is stored, or about to be).
  void MarkDecided(const std::string& sweep_id, const std::string& trial_id, double m);
  // Undoes MarkDecided: the decision's transaction failed.
  void Unmark(const std::string& sweep_id, const std::string& trial_id, double m);
  // The round's previews were not stored: the next plan of the round makes them again.
  void Unpreview(const PlannedRound& round);
  // Drops what is kept for a sweep that left memory.
  void Forget(const std::string& sweep_id);

 private:
  // What a kept summary was computed from: the reference, and the points up to the milestone's
  // window (how many, and the step of the last, which a merge restamps).
  struct SummaryStamp {
    std::string reference_key;  // PolicyRound::reference_key.
    size_t points = 0;
    int64_t last_step = -1;
    bool operator==(const SummaryStamp&) const = default;
  };
  struct KeptSummary {
    SummaryStamp stamp;
    predictor::TrialSummary summary;
  };
  struct SweepState {
    // Hash maps: a round looks up every trial of its group in both.
    absl::flat_hash_map<std::string, std::vector<double>> decided;  // Trial -> milestones.
    absl::flat_hash_map<std::pair<std::string, double>, KeptSummary> summaries;  // (trial, m)
    // (trial, m) with a preview planned and no decision yet: the trials waiting in held groups.
    std::set<std::pair<std::string, double>> previewed;
  };
  absl::StatusOr<SweepState*> State(const std::string& sweep_id);
  // The round's policy with the sweep's reference runs in memory.
  absl::StatusOr<PolicyRound> PrepareRound(const std::string& sweep_id,
                                           const v1::StoppingPolicy& policy);
  // Synchronous, while the group is held at m: the trials waiting at m, undecided there, with
  // no preview planned yet (now counted as planned), with their points up to m.
  static std::vector<TrialCurve> NewlyWaiting(std::span<const CurveEntry> entries,
                                              std::span<const double> milestones, double m,
                                              SweepState& state,
                                              const std::set<std::string>& stopping);
  // The round of their previews (PlannedRound::previews); nullopt when none has a prediction.
  std::optional<PlannedRound> Previews(const RoundKey& key, absl::Time arrived, absl::Time start,
                                       const PolicyRound& round,
                                       const std::vector<TrialCurve>& waiting, SweepState& state);

  Store* const store_;
  const Clock* const clock_;
  const TrialCurves* const curves_;
  SchedulerObserver* const observer_;
  ModelCache models_;
  std::map<std::string, SweepState> sweeps_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_ROUND_PLANNER_H_
