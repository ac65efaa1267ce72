// The scheduler's decision path: milestone events queued by the write path run the sweep's
// stopping policy on the in-memory curves, on the decider thread. Each round summarizes only
// the trials new at its milestone (kept summaries for the others); a batch of rounds commits
// its STOP decisions and the stops they cause in one transaction ahead of the write queue and
// sends the stop orders; CONTINUE decisions go to the write queue.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "scheduler/policy_runner.h"
#include "scheduler/scheduler.h"

namespace augur {
namespace {

bool HasDecided(const std::vector<double>& decided, double m) {
  for (double d : decided) {
    if (std::abs(d - m) < 1e-9) return true;
  }
  return false;
}

}  // namespace

void Scheduler::QueueDecision(MilestoneEvent event) {
  absl::MutexLock lock(&decide_mu_);
  decide_queue_.push_back(std::move(event));
}

void Scheduler::DeciderLoop() {
  while (true) {
    std::deque<MilestoneEvent> events;
    {
      absl::MutexLock lock(&decide_mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(decide_mu_) {
        return decider_stop_ || !decide_queue_.empty();
      };
      decide_mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(100));
      if (decider_stop_) return;
      events.swap(decide_queue_);
    }
    // Many trials crossing one milestone while a decision ran need one decision round; the
    // earliest arrival is the one its latency is measured from.
    std::map<std::tuple<std::string, std::string, double>, absl::Time> rounds;
    for (const MilestoneEvent& e : events) {
      auto [it, inserted] = rounds.try_emplace({e.sweep_id, e.group_key, e.fraction}, e.arrived);
      if (!inserted) it->second = std::min(it->second, e.arrived);
    }
    // Every round's policy runs first, then one transaction stores all their STOP decisions
    // (a transaction per round would make each round wait for the writer's commit in turn).
    // The writer starts no commit from here on (for a bounded time, AwaitNoPriorityWrite), so
    // the one it may have in flight finishes while the policies run, and the transaction
    // does not queue behind another.
    {
      absl::MutexLock lock(&gate_mu_);
      ++priority_writes_;
    }
    std::vector<DecisionRound> planned;
    std::set<std::string> stopping;  // Trials an earlier round of this batch stops.
    for (const auto& [key, arrived] : rounds) {
      std::optional<DecisionRound> r =
          PlanRound({std::get<0>(key), std::get<1>(key), std::get<2>(key), arrived}, stopping);
      if (r) planned.push_back(std::move(*r));
    }
    if (!planned.empty()) CommitRounds(std::move(planned));
    {
      absl::MutexLock lock(&gate_mu_);
      --priority_writes_;
    }
  }
}

void Scheduler::QueueUndecidedMilestones(const std::string& sweep_id,
                                         const std::string& group_key) {
  auto milestones = Milestones(sweep_id);
  if (!milestones.ok()) return;
  std::set<std::pair<std::string, double>> rounds;  // (group, milestone)
  {
    absl::MutexLock lock(&mem_mu_);
    auto loaded = mem_.find(sweep_id);
    if (loaded == mem_.end()) return;
    for (const auto& [id, tm] : loaded->second) {
      if (!tm.trial || tm.trial->is_reference() || IsTerminal(tm.trial->state()) ||
          tm.points.empty() || (!group_key.empty() && tm.group_key != group_key)) {
        continue;
      }
      for (double m : *milestones) {
        if (tm.points.back().fraction >= m - kMilestoneTolerance && !HasDecided(tm.decided, m)) {
          rounds.insert({tm.group_key, m});
        }
      }
    }
  }
  for (const auto& [group, m] : rounds) QueueDecision({sweep_id, group, m, clock_->Now()});
}

void Scheduler::MarkDecided(const MilestoneEvent& round, const std::vector<v1::Decision>& decisions,
                            std::span<const absl::Status> stored) {
  absl::MutexLock lock(&mem_mu_);
  auto loaded = mem_.find(round.sweep_id);
  if (loaded == mem_.end()) return;  // Forgotten meanwhile: a reload reads the store.
  for (size_t i = 0; i < decisions.size(); ++i) {
    // ALREADY_EXISTS: decided before, the first decision stands.
    if (!stored.empty() && !stored[i].ok() && !absl::IsAlreadyExists(stored[i])) continue;
    auto trial = loaded->second.find(decisions[i].trial_id());
    if (trial != loaded->second.end()) trial->second.decided.push_back(round.fraction);
  }
}

void Scheduler::ForgetDecided(const MilestoneEvent& round,
                              const std::vector<v1::Decision>& decisions) {
  absl::MutexLock lock(&mem_mu_);
  auto loaded = mem_.find(round.sweep_id);
  if (loaded == mem_.end()) return;
  for (const v1::Decision& d : decisions) {
    auto trial = loaded->second.find(d.trial_id());
    if (trial == loaded->second.end()) continue;
    std::vector<double>& decided = trial->second.decided;
    auto it = std::find_if(decided.begin(), decided.end(),
                           [&](double f) { return std::abs(f - round.fraction) < 1e-9; });
    if (it != decided.end()) decided.erase(it);
  }
}

std::optional<Scheduler::DecisionRound> Scheduler::PlanRound(const MilestoneEvent& event,
                                                             std::set<std::string>& stopping) {
  auto sweep = CachedSweep(event.sweep_id);
  if (!sweep.ok()) return std::nullopt;
  EnsureLoaded(event.sweep_id);
  // One pass over the group in memory. A trial's summary at this milestone is taken from
  // memory when it was computed under the current reference from the same points (memory
  // curves only grow at the end, and a merge into the last point restamps it: the number of
  // points up to the milestone's window and the step of the last of them identify them). A
  // trial short of the milestone is summarized in place when the policy needs nothing more of
  // it. Any other trial's points up to the window are copied out, summarized after the lock,
  // and the summary kept. Only live trials at the milestone without a stored decision for it
  // are decided; the others are decided when they get there.
  const v1::StoppingPolicy& policy = sweep->spec().policy();
  const double m = event.fraction;
  const absl::Time round_start = clock_->Now();
  std::vector<TrialCurve> references;
  {
    absl::MutexLock lock(&mem_mu_);
    auto loaded = mem_.find(event.sweep_id);
    if (loaded == mem_.end()) return std::nullopt;  // Forgotten meanwhile: the sweep ended.
    for (const auto& [id, tm] : loaded->second) {
      if (tm.trial && tm.trial->is_reference() && tm.group_key == event.group_key) {
        references.push_back({tm.trial, tm.points});
      }
    }
  }
  auto round = PolicyRound::Prepare(policy, references);
  if (!round.ok()) return std::nullopt;
  const std::string& reference_key = round->reference_key();
  predictor::SummarizedGroup group;
  group.group_id = event.group_key;
  struct ToSummarize {
    size_t index;  // In group.trials.
    TrialCurve curve;
    SummaryStamp stamp;
  };
  std::vector<ToSummarize> work;
  std::vector<TrialCurve> undecided_curves;   // Wanted trials whose summary was kept.
  bool anyone = false;                        // Any trial to decide (group.trials[i].wanted).
  std::map<std::string, absl::Time> reached;  // When each undecided trial reached the milestone.
  {
    absl::MutexLock lock(&mem_mu_);
    auto loaded = mem_.find(event.sweep_id);
    if (loaded == mem_.end()) return std::nullopt;
    // Curves to copy once it is known that anybody is to be decided: the trial, its window's
    // end, and the index of its work item (or -1: a wanted trial whose summary was kept).
    struct Copy {
      const TrialMemory* tm;
      size_t end;
      ptrdiff_t work_index;
    };
    std::vector<Copy> to_copy;
    for (auto& [id, tm] : loaded->second) {
      if (!tm.trial || tm.trial->is_reference() || tm.group_key != event.group_key) continue;
      const bool wanted = !tm.points.empty() && !IsTerminal(tm.trial->state()) &&
                          tm.points.back().fraction >= m - kMilestoneTolerance &&
                          !HasDecided(tm.decided, m);
      if (wanted) {
        anyone = true;
        if (auto at = tm.reached.find(m); at != tm.reached.end()) reached[id] = at->second;
      }
      const predictor::TrialState state = ToPredictorState(tm.trial->state());
      // The window's end: the whole curve unless it runs past the window.
      size_t end = tm.points.size();
      if (end > 0 && tm.points.back().fraction > m + kMilestoneTolerance) {
        end = std::upper_bound(
                  tm.points.begin(), tm.points.end(), m + kMilestoneTolerance,
                  [](double f, const predictor::CurvePoint& p) { return f < p.fraction; }) -
              tm.points.begin();
      }
      const int64_t last_step = end > 0 ? tm.points[end - 1].step : -1;
      // A trial that is not to be decided and has no comparison value plays no part in the
      // decisions (predictor/policy.h): it is left out of the group.
      auto kept = tm.summaries.find(m);
      if (kept != tm.summaries.end() && kept->second.stamp.points == end &&
          kept->second.stamp.last_step == last_step &&
          kept->second.stamp.reference_key == reference_key) {
        if (!wanted && !kept->second.summary.pooled) continue;
        if (wanted) to_copy.push_back({&tm, end, -1});
        group.trials.push_back({id, state, kept->second.summary, wanted});
      } else if (auto quick = round->QuickSummary(tm.points, m, /*finite=*/true)) {
        if (!wanted && !quick->pooled) continue;
        group.trials.push_back({id, state, std::move(*quick), wanted});
      } else {
        to_copy.push_back({&tm, end, static_cast<ptrdiff_t>(work.size())});
        work.push_back({group.trials.size(), {tm.trial, {}}, {reference_key, end, last_step}});
        group.trials.push_back({id, state, {}, wanted});
      }
    }
    if (!anyone) return std::nullopt;  // Nobody new here: no policy to run.
    for (const Copy& c : to_copy) {
      const auto first = c.tm->points.begin();
      const auto last = first + static_cast<ptrdiff_t>(c.end);
      if (c.work_index >= 0) {
        work[c.work_index].curve.points.assign(first, last);
      } else {
        undecided_curves.push_back({c.tm->trial, {first, last}});
      }
    }
  }
  for (ToSummarize& w : work) group.trials[w.index].summary = round->Summarize(w.curve, m);
  {
    absl::MutexLock lock(&mu_);
    stop_latency_.summarized += static_cast<int64_t>(work.size());
  }
  std::map<std::string, const TrialCurve*> points_of;
  {
    absl::MutexLock lock(&mem_mu_);
    auto loaded = mem_.find(event.sweep_id);
    for (const ToSummarize& w : work) {
      const predictor::SummarizedTrial& t = group.trials[w.index];
      if (t.wanted) points_of[t.id] = &w.curve;
      if (loaded == mem_.end()) continue;
      auto trial = loaded->second.find(t.id);
      if (trial != loaded->second.end()) {
        trial->second.summaries[m] = KeptSummary{w.stamp, t.summary};
      }
    }
  }
  for (const TrialCurve& c : undecided_curves) points_of[c.trial->trial_id()] = &c;
  auto decisions = round->Decide(group, m, clock_->NowUnixMs(), points_of);
  const absl::Time decided_at = clock_->Now();
  DecisionRound r;
  r.event = event;
  r.start = round_start;
  r.decided = decided_at;
  r.reached = std::move(reached);
  // Decisions come for the wanted trials only (StoppingPolicy::DecideSummarized).
  for (const v1::Decision& d : decisions) {
    if (stopping.count(d.trial_id())) continue;
    if (d.action() == v1::DECISION_ACTION_STOP) {
      r.batch.decisions.push_back(d);
      r.batch.transitions.push_back({d.trial_id(), v1::TRIAL_STATE_STOPPED, d.reason()});
      stopping.insert(d.trial_id());
    } else if (!round->waiting()) {
      // A trial waiting for its reference is decided once the reference completes.
      r.continues.push_back(d);
    }
  }
  if (r.batch.decisions.empty() && r.continues.empty()) return std::nullopt;
  return r;
}

void Scheduler::CommitRounds(std::vector<DecisionRound> rounds) {
  // CONTINUE decisions change nothing a worker must hear of: they count as decided in memory
  // now (so that the next round does not decide them again) and are stored by the writer with
  // its next commit; if that fails, it forgets them and queues their rounds again.
  for (DecisionRound& r : rounds) {
    if (r.continues.empty()) continue;
    MarkDecided(r.event, r.continues);
    PendingWrite w;
    w.arrived = clock_->Now();
    w.decisions = std::move(r.continues);
    w.round = r.event;
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(std::move(w));
  }
  // One transaction ahead of the write queue: the STOP decisions with the stops they cause;
  // the stop orders go out as soon as it commits. The points the decisions saw may still be
  // in the write queue; the store takes them after the stop (a STOPPED trial accepts points
  // under its last lease's token, store.h).
  WriteBatch batch;
  for (const DecisionRound& r : rounds) {
    batch.decisions.insert(batch.decisions.end(), r.batch.decisions.begin(),
                           r.batch.decisions.end());
    batch.transitions.insert(batch.transitions.end(), r.batch.transitions.begin(),
                             r.batch.transitions.end());
  }
  const absl::Time commit_start = clock_->Now();
  absl::StatusOr<WriteBatchResult> result = WriteBatchResult{};
  if (!batch.decisions.empty()) {
    {
      absl::MutexLock lock(&gate_mu_);
      ++priority_writes_;
    }
    result = store_->ApplyBatch(batch);
    {
      absl::MutexLock lock(&gate_mu_);
      --priority_writes_;
    }
  }
  const absl::Time committed = clock_->Now();
  if (!result.ok()) {
    // Nothing stored: decide these milestones again (their trials will not cross them again),
    // after a pause so that a store that keeps failing is not hammered.
    absl::SleepFor(absl::Milliseconds(100));
    for (const DecisionRound& r : rounds) {
      if (!r.batch.decisions.empty()) QueueDecision(r.event);
    }
    return;
  }
  // The orders first, then memory: the next round (on this thread) sees the trials stopped.
  size_t decision_at = 0, transition_at = 0;  // Offsets of each round's part of the batch.
  std::vector<double> before_round_ms;
  std::vector<StopOrder> orders;
  std::vector<const v1::Trial*> stopped;
  for (const DecisionRound& r : rounds) {
    MarkDecided(r.event, r.batch.decisions,
                std::span(result->decisions).subspan(decision_at, r.batch.decisions.size()));
    for (size_t i = 0; i < r.batch.transitions.size(); ++i) {
      const TransitionResult& t = result->transitions[transition_at + i];
      if (!t.status.ok()) continue;  // Ended meanwhile (completed, or stopped by a user).
      stopped.push_back(&t.trial);
      if (t.from == v1::TRIAL_STATE_RUNNING && !t.worker_id.empty()) {
        auto at = r.reached.find(t.trial.trial_id());
        const absl::Time since = at != r.reached.end() ? at->second : r.event.arrived;
        orders.push_back({t.trial.trial_id(), t.worker_id, t.fencing_token,
                          r.batch.transitions[i].message, since});
        before_round_ms.push_back(absl::ToDoubleMilliseconds(r.start - since));
      }
    }
    decision_at += r.batch.decisions.size();
    transition_at += r.batch.transitions.size();
  }
  SendStopOrders(orders);
  UpdateMemory(stopped);
  {
    absl::MutexLock lock(&mu_);
    StopLatencyStats& s = stop_latency_;
    const absl::Time end = clock_->Now();
    for (const DecisionRound& r : rounds) {
      if (s.round_ms.size() >= 100000) break;
      s.round_ms.push_back(absl::ToDoubleMilliseconds(end - r.start));
      s.wait_ms.push_back(absl::ToDoubleMilliseconds(r.start - r.event.arrived));
      s.policy_ms.push_back(absl::ToDoubleMilliseconds(r.decided - r.start));
    }
    if (s.commit_ms.size() < 100000 && !batch.decisions.empty()) {
      s.commit_ms.push_back(absl::ToDoubleMilliseconds(committed - commit_start));
      s.before_round_ms.insert(s.before_round_ms.end(), before_round_ms.begin(),
                               before_round_ms.end());
    }
  }
  Bump();
}

}  // namespace augur
