#include "scheduler/round_planner.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/policy_runner.h"

namespace augur {
namespace {

bool HasDecided(const std::vector<double>* decided, double m) {
  if (decided == nullptr) return false;
  for (double d : *decided) {
    if (std::abs(d - m) < 1e-9) return true;
  }
  return false;
}

const std::vector<double>* DecidedOf(
    const absl::flat_hash_map<std::string, std::vector<double>>& decided,
    const std::string& trial_id) {
  auto it = decided.find(trial_id);
  return it == decided.end() ? nullptr : &it->second;
}

// A live trial whose curve has reached m and that has no decision there yet.
bool Wanted(const CurveEntry& e, double m, const std::vector<double>* decided) {
  return !e.trial->is_reference() && !e.points.empty() && !IsTerminal(e.trial->state()) &&
         ReachedMilestone(e.points.back().fraction, m) && !HasDecided(decided, m);
}

double Progress(const CurveEntry& e) { return e.points.empty() ? 0 : e.points.back().fraction; }

// A trial of a synchronous sweep that waits at m (and is to be released there by a CONTINUE).
bool WaitingHere(const CurveEntry& e, std::span<const double> milestones, double m) {
  return e.trial->state() == v1::TRIAL_STATE_WAITING &&
         std::abs(WaitingAt(milestones, Progress(e)) - m) < 1e-9;
}

// A trial waiting at m whose decision there is already taken: a CONTINUE that found it still
// running (after a scheduler restart, whose memory had lost its lease's stop).
bool StuckHere(const CurveEntry& e, std::span<const double> milestones, double m,
               const std::vector<double>* decided) {
  return WaitingHere(e, milestones, m) && HasDecided(decided, m);
}

TrialTransition Release(const std::string& trial_id, double m) {
  return {trial_id, v1::TRIAL_STATE_PENDING, absl::StrCat("continues past milestone ", m)};
}

// The number of `points` (ascending) a decision at m reads: the whole curve unless it runs past
// the milestone's window.
size_t WindowEnd(const std::vector<predictor::CurvePoint>& points, double m) {
  if (points.empty() || points.back().fraction <= MilestoneWindowEnd(m)) return points.size();
  return std::upper_bound(points.begin(), points.end(), MilestoneWindowEnd(m),
                          [](double f, const predictor::CurvePoint& p) { return f < p.fraction; }) -
         points.begin();
}

// Whether a trial of the group keeps a synchronous round at m from being decided now.
bool HeldBy(const CurveEntry& e, double m, const std::vector<double>* decided) {
  return HoldsMilestone(
      {e.trial->state(), e.trial->is_reference(), Progress(e), e.run_until, HasDecided(decided, m)},
      m);
}

}  // namespace

RoundPlanner::RoundPlanner(Store* store, const Clock* clock, const TrialCurves* curves,
                           SchedulerObserver* observer)
    : store_(store), clock_(clock), curves_(curves), observer_(observer) {}

absl::StatusOr<RoundPlanner::SweepState*> RoundPlanner::State(const std::string& sweep_id) {
  auto it = sweeps_.find(sweep_id);
  if (it != sweeps_.end()) return &it->second;
  ASSIGN_OR_RETURN(std::vector<v1::Decision> stored, store_->ListDecisions(sweep_id));
  SweepState& state = sweeps_[sweep_id];
  for (const v1::Decision& d : stored)
    state.decided[d.trial_id()].push_back(d.milestone_fraction());
  return &state;
}

void RoundPlanner::MarkDecided(const std::string& sweep_id, const std::string& trial_id, double m) {
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) return;
  std::vector<double>& decided = it->second.decided[trial_id];
  if (!HasDecided(&decided, m)) decided.push_back(m);
  it->second.previewed.erase({trial_id, m});  // Decided trials are never previewed there again.
}

void RoundPlanner::Unmark(const std::string& sweep_id, const std::string& trial_id, double m) {
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) return;
  auto trial = it->second.decided.find(trial_id);
  if (trial == it->second.decided.end()) return;
  std::erase_if(trial->second, [m](double d) { return std::abs(d - m) < 1e-9; });
}

absl::StatusOr<PolicyRound> RoundPlanner::PrepareRound(const std::string& sweep_id,
                                                       const v1::StoppingPolicy& policy) {
  std::vector<TrialCurve> references;
  // The sweep's reference runs, whatever their group: each trial's reference matches its own
  // controls (tau, TPP), not its comparison group's.
  curves_->Visit(sweep_id, "", [&](std::span<const CurveEntry> entries) {
    for (const CurveEntry& e : entries) {
      if (e.trial->is_reference()) references.push_back({e.trial, e.points});
    }
  });
  return PolicyRound::Prepare(policy, references, &models_);
}

std::vector<TrialCurve> RoundPlanner::NewlyWaiting(std::span<const CurveEntry> entries,
                                                   std::span<const double> milestones, double m,
                                                   SweepState& state,
                                                   const std::set<std::string>& stopping) {
  std::vector<TrialCurve> out;
  for (const CurveEntry& e : entries) {
    if (!WaitingHere(e, milestones, m) || e.trial->is_reference() || stopping.count(e.trial_id) ||
        HasDecided(DecidedOf(state.decided, e.trial_id), m) ||
        !state.previewed.insert({e.trial_id, m}).second) {
      continue;
    }
    const auto first = e.points.begin();
    out.push_back({e.trial, {first, first + static_cast<ptrdiff_t>(WindowEnd(e.points, m))}});
  }
  return out;
}

std::optional<PlannedRound> RoundPlanner::Previews(const RoundKey& key, absl::Time arrived,
                                                   absl::Time start, const PolicyRound& round,
                                                   const std::vector<TrialCurve>& waiting,
                                                   SweepState& state) {
  PlannedRound r;
  r.key = key;
  r.arrived = arrived;
  r.start = start;
  const double m = key.fraction;
  for (const TrialCurve& c : waiting) {
    const std::pair<std::string, double> at{c.trial->trial_id(), m};
    if (round.waiting()) {  // No reference yet: previewed once it is complete.
      state.previewed.erase(at);
      continue;
    }
    // The summary is kept: the group's decision at m reuses it.
    const SummaryStamp stamp{round.reference_key(), c.points.size(),
                             c.points.empty() ? -1 : c.points.back().step};
    auto kept = state.summaries.find(at);
    if (kept == state.summaries.end() || !(kept->second.stamp == stamp)) {
      kept = state.summaries.insert_or_assign(at, KeptSummary{stamp, round.Summarize(c, m)}).first;
      if (observer_) observer_->TrialsSummarized(1);
    }
    if (auto p = round.Preview(kept->second.summary, c, m)) {
      r.previews.push_back({c.trial->trial_id(), *std::move(p)});
    }
  }
  if (r.previews.empty()) return std::nullopt;
  r.decided = clock_->Now();
  return r;
}

void RoundPlanner::Unpreview(const PlannedRound& round) {
  auto it = sweeps_.find(round.key.sweep_id);
  if (it == sweeps_.end()) return;
  for (const PredictionWrite& p : round.previews) {
    it->second.previewed.erase({p.trial_id, round.key.fraction});
  }
}

void RoundPlanner::Forget(const std::string& sweep_id) { sweeps_.erase(sweep_id); }

absl::StatusOr<std::vector<RoundKey>> RoundPlanner::Undecided(const std::string& sweep_id,
                                                              const std::string& group_key) {
  auto policy = curves_->Policy(sweep_id);
  if (!policy) return std::vector<RoundKey>{};
  ASSIGN_OR_RETURN(SweepState * state, State(sweep_id));
  std::set<RoundKey> due;
  curves_->Visit(sweep_id, group_key, [&](std::span<const CurveEntry> entries) {
    for (const CurveEntry& e : entries) {
      const std::vector<double>* decided = DecidedOf(state->decided, e.trial_id);
      for (double m : policy->milestones) {
        if (Wanted(e, m, decided) ||
            (policy->synchronous && StuckHere(e, policy->milestones, m, decided))) {
          due.insert({sweep_id, e.group_key, m});
        }
      }
    }
  });
  return std::vector<RoundKey>(due.begin(), due.end());
}

absl::StatusOr<std::optional<PlannedRound>> RoundPlanner::Plan(const RoundKey& key,
                                                               absl::Time arrived,
                                                               std::set<std::string>& stopping) {
  auto policy = curves_->Policy(key.sweep_id);
  if (!policy) return std::nullopt;  // Left memory meanwhile: the sweep ended.
  ASSIGN_OR_RETURN(SweepState * state, State(key.sweep_id));
  const double m = key.fraction;
  const absl::Time start = clock_->Now();
  // An unstarted trial (PENDING, never leased: not in memory) holds m like any pending one: the
  // round holds only the previews of the trials newly waiting there (no reference is built
  // when there are none, the common case of a large sweep's first waves).
  if (policy->synchronous && curves_->HasUnstarted(key.sweep_id, key.group_key)) {
    std::vector<TrialCurve> fresh;
    curves_->Visit(key.sweep_id, key.group_key, [&](std::span<const CurveEntry> entries) {
      fresh = NewlyWaiting(entries, policy->milestones, m, *state, stopping);
    });
    if (fresh.empty()) return std::nullopt;
    auto round = PrepareRound(key.sweep_id, policy->policy);
    if (!round.ok()) return std::nullopt;
    return Previews(key, arrived, start, *round, fresh, *state);
  }
  auto round = PrepareRound(key.sweep_id, policy->policy);
  if (!round.ok()) return std::nullopt;
  const std::string& reference_key = round->reference_key();

  // One pass over the group in memory. A trial's summary at m is reused when it was computed
  // under the current reference from the same points (curves only grow at the end, and a merge
  // into the last point restamps it: the number of points up to the milestone's window and the
  // step of the last of them identify them). A trial short of m is summarized in place when the
  // policy needs nothing more of it. Any other trial's points up to the window are copied out,
  // summarized after the lock, and the summary kept. Only wanted trials are decided; the others
  // are decided when they get there.
  predictor::SummarizedGroup group;
  group.group_id = key.group_key;
  struct ToSummarize {
    size_t index;  // In group.trials.
    TrialCurve curve;
    SummaryStamp stamp;
  };
  std::vector<ToSummarize> work;
  std::vector<TrialCurve> kept_curves;  // Wanted trials whose summary was kept.
  std::map<std::string, absl::Time> reached;
  bool anyone = false;
  // Synchronous: trials waiting here (released by a CONTINUE), and those already decided here
  // but still waiting (released now).
  std::set<std::string> waiting_here;
  std::vector<TrialTransition> stuck;
  std::vector<TrialCurve> to_preview;  // Held: trials newly waiting here, their points to m.
  curves_->Visit(key.sweep_id, key.group_key, [&](std::span<const CurveEntry> entries) {
    if (policy->synchronous) {
      bool held = false;
      for (const CurveEntry& e : entries) {
        if (stopping.count(e.trial_id)) continue;
        const std::vector<double>* decided = DecidedOf(state->decided, e.trial_id);
        if (HeldBy(e, m, decided)) {
          held = true;  // Not every live trial is here yet: decided when the last one is.
          break;
        }
        if (!WaitingHere(e, policy->milestones, m)) continue;
        waiting_here.insert(e.trial_id);
        if (HasDecided(decided, m)) stuck.push_back(Release(e.trial_id, m));
      }
      if (held) {
        stuck.clear();
        to_preview = NewlyWaiting(entries, policy->milestones, m, *state, stopping);
        return;
      }
    }
    struct Copy {
      const CurveEntry* e;
      size_t end;
      ptrdiff_t work_index;  // -1: a wanted trial whose summary was kept.
    };
    std::vector<Copy> to_copy;
    for (const CurveEntry& e : entries) {
      if (e.trial->is_reference()) continue;
      const bool wanted = Wanted(e, m, DecidedOf(state->decided, e.trial_id));
      if (wanted) {
        anyone = true;
        if (auto at = e.reached.find(m); at != e.reached.end()) reached[e.trial_id] = at->second;
      }
      const predictor::TrialState trial_state = ToPredictorState(e.trial->state());
      const size_t end = WindowEnd(e.points, m);
      const int64_t last_step = end > 0 ? e.points[end - 1].step : -1;
      // A trial that is not to be decided and has no comparison value plays no part in the
      // decisions (predictor/policy.h): it is left out of the group.
      auto kept = state->summaries.find({e.trial_id, m});
      if (kept != state->summaries.end() &&
          kept->second.stamp == SummaryStamp{reference_key, end, last_step}) {
        if (!wanted && !kept->second.summary.pooled) continue;
        if (wanted) to_copy.push_back({&e, end, -1});
        group.trials.push_back({e.trial_id, trial_state, kept->second.summary, wanted});
      } else if (auto quick = round->QuickSummary(e.points, m, /*finite=*/true)) {
        if (!wanted && !quick->pooled) continue;
        group.trials.push_back({e.trial_id, trial_state, std::move(*quick), wanted});
      } else {
        to_copy.push_back({&e, end, static_cast<ptrdiff_t>(work.size())});
        work.push_back({group.trials.size(), {e.trial, {}}, {reference_key, end, last_step}});
        group.trials.push_back({e.trial_id, trial_state, {}, wanted});
      }
    }
    if (!anyone) return;  // Nobody new here: nothing to copy, no policy to run.
    for (const Copy& c : to_copy) {
      const auto first = c.e->points.begin();
      const auto last = first + static_cast<ptrdiff_t>(c.end);
      if (c.work_index >= 0) {
        work[c.work_index].curve.points.assign(first, last);
      } else {
        kept_curves.push_back({c.e->trial, {first, last}});
      }
    }
  });
  PlannedRound r;
  r.key = key;
  r.arrived = arrived;
  r.start = start;
  r.releases = std::move(stuck);
  if (!to_preview.empty()) return Previews(key, arrived, start, *round, to_preview, *state);
  if (!anyone) {
    if (r.releases.empty()) return std::nullopt;
    r.decided = clock_->Now();
    return r;
  }
  std::map<std::string, const TrialCurve*> points_of;
  for (ToSummarize& w : work) {
    predictor::SummarizedTrial& t = group.trials[w.index];
    t.summary = round->Summarize(w.curve, m);
    state->summaries[{t.id, m}] = KeptSummary{w.stamp, t.summary};
    if (t.wanted) points_of[t.id] = &w.curve;
  }
  if (observer_) observer_->TrialsSummarized(static_cast<int64_t>(work.size()));
  for (const TrialCurve& c : kept_curves) points_of[c.trial->trial_id()] = &c;

  r.reached = std::move(reached);
  // Decisions come for the wanted trials only (StoppingPolicy::DecideSummarized).
  for (v1::Decision& d : round->Decide(group, m, clock_->NowUnixMs(), points_of)) {
    if (stopping.count(d.trial_id())) continue;
    if (d.action() == v1::DECISION_ACTION_STOP) {
      r.stops.push_back({d.trial_id(), v1::TRIAL_STATE_STOPPED, d.reason()});
      stopping.insert(d.trial_id());
    } else if (round->waiting()) {
      continue;  // A trial waiting for its reference is decided once the reference completes.
    } else if (waiting_here.erase(d.trial_id())) {
      r.releases.push_back(Release(d.trial_id(), m));
    }
    waiting_here.erase(d.trial_id());
    r.decisions.push_back(std::move(d));
  }
  // A waiting trial the policy said nothing of (it found it short of m) is not left waiting
  // for ever: it goes on, and is decided at m on a later round.
  for (const std::string& id : waiting_here) {
    if (!round->waiting() && !stopping.count(id) && !HasDecided(DecidedOf(state->decided, id), m)) {
      r.releases.push_back(Release(id, m));
    }
  }
  r.decided = clock_->Now();
  if (r.decisions.empty() && r.releases.empty()) return std::nullopt;
  return r;
}

}  // namespace augur
