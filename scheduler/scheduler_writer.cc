// The scheduler's write path: worker writes committed in batches, acknowledgements sent only
// after the commit; the in-memory curves, fed on arrival, where milestone crossings are
// detected; and the decision path: the stopping policy run on those curves on its own thread,
// its STOP decisions and stops committed ahead of the write queue, then executed.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/policy_runner.h"
#include "scheduler/scheduler.h"

namespace augur {
namespace {

// A trial counts as having reached milestone m once its last point is this close to m (the
// predictor uses the same tolerance to decide who is in the comparison pool).
constexpr double kMilestoneTolerance = 0.005;
constexpr int kMaxAttempts = 3;
// The longest the writer holds a commit back for decision rounds.
constexpr absl::Duration kMaxYield =
    absl::Milliseconds(30);  // FAILED trials are retried (from their checkpoint) this often.

void SendRejection(WorkerSession& s, const absl::Status& st, const std::string& trial_id) {
  v1::SchedulerMessage r;
  r.mutable_rejection()->set_code(static_cast<int32_t>(st.code()));
  r.mutable_rejection()->set_message(std::string(st.message()));
  r.mutable_rejection()->set_trial_id(trial_id);
  s.Send(std::move(r));
}

}  // namespace

// ---- In-memory curves ----

namespace {

// Decision curves keep at most this many points per run: consecutive points in the same
// 1/kBlocksPerRun of training merge into their mean loss, stamped with the latest point's
// step and fraction. A decision round then costs O(trials) whatever the logging rate, and
// 0.1% of training is finer than any window the policies smooth or align over.
constexpr double kBlocksPerRun = 1000;

void AppendToCurve(std::vector<predictor::CurvePoint>& curve, int& merged,
                   const predictor::CurvePoint& p) {
  if (!curve.empty()) {
    predictor::CurvePoint& last = curve.back();
    if (std::floor(last.fraction * kBlocksPerRun) == std::floor(p.fraction * kBlocksPerRun)) {
      ++merged;
      const double loss = last.loss + (p.loss - last.loss) / merged;
      last = p;
      last.loss = loss;
      return;
    }
  }
  curve.push_back(p);
  merged = 1;
}

bool HasDecided(const std::vector<double>& decided, double m) {
  for (double d : decided) {
    if (std::abs(d - m) < 1e-9) return true;
  }
  return false;
}

}  // namespace

void Scheduler::EnsureLoaded(const std::string& sweep_id) {
  {
    absl::MutexLock lock(&mem_mu_);
    if (mem_.count(sweep_id)) return;
  }
  auto trials = store_->ListTrials(sweep_id);
  auto decisions = store_->ListDecisions(sweep_id);
  if (!trials.ok() || !decisions.ok()) return;
  std::map<std::string, TrialMemory> loaded;
  for (v1::Trial& t : *trials) {
    auto points = store_->ReadPoints(t.trial_id(), 0);
    if (!points.ok()) return;
    TrialMemory& m = loaded[t.trial_id()];
    for (const predictor::CurvePoint& p : ToPredictorPoints(*points)) {
      AppendToCurve(m.points, m.merged, p);
    }
    if (t.state() == v1::TRIAL_STATE_RUNNING) {
      auto lease = store_->GetLease(t.trial_id());
      if (!lease.ok()) return;
      m.fencing_token = lease->fencing_token;
    }
    m.group_key = CollapseGroupKey(t.controls());
    m.trial = std::make_shared<const v1::Trial>(std::move(t));
  }
  for (const v1::Decision& d : *decisions) {
    auto it = loaded.find(d.trial_id());
    if (it != loaded.end()) it->second.decided.push_back(d.milestone_fraction());
  }
  absl::MutexLock lock(&mem_mu_);
  if (mem_.count(sweep_id)) return;  // Loaded concurrently.
  for (const auto& [id, m] : loaded) trial_sweep_[id] = sweep_id;
  mem_[sweep_id] = std::move(loaded);
}

void Scheduler::RefreshTrial(const std::string& trial_id) {
  auto t = store_->GetTrial(trial_id);
  if (!t.ok()) return;
  int64_t token = 0;
  if (t->state() == v1::TRIAL_STATE_RUNNING) {
    auto lease = store_->GetLease(trial_id);
    if (!lease.ok()) return;
    token = lease->fencing_token;
  }
  UpdateMemory(*t, token);
}

void Scheduler::UpdateMemory(const v1::Trial& trial, int64_t fencing_token) {
  absl::MutexLock lock(&mem_mu_);
  UpdateMemoryLocked(trial, fencing_token);
}

void Scheduler::UpdateMemory(const std::vector<const v1::Trial*>& trials) {
  absl::MutexLock lock(&mem_mu_);
  for (const v1::Trial* trial : trials) UpdateMemoryLocked(*trial, 0);
}

void Scheduler::UpdateMemoryLocked(const v1::Trial& trial, int64_t fencing_token) {
  auto sweep = mem_.find(trial.sweep_id());
  if (sweep == mem_.end()) return;  // Not loaded: a later load reads the fresh row.
  TrialMemory& m = sweep->second[trial.trial_id()];
  m.trial = std::make_shared<const v1::Trial>(trial);
  m.group_key = CollapseGroupKey(trial.controls());
  m.fencing_token = trial.state() == v1::TRIAL_STATE_RUNNING ? fencing_token : 0;
  trial_sweep_[trial.trial_id()] = trial.sweep_id();
}

void Scheduler::Remember(const v1::LossPointBatch& batch, bool check_lease, absl::Time arrived) {
  const std::string& trial_id = batch.trial_id();
  std::string sweep_id;
  {
    absl::MutexLock lock(&mem_mu_);
    auto it = trial_sweep_.find(trial_id);
    if (it != trial_sweep_.end()) sweep_id = it->second;
  }
  if (sweep_id.empty()) {
    if (check_lease) return;  // Not loaded yet: the commit path loads it.
    auto t = store_->GetTrial(trial_id);
    if (!t.ok()) return;
    sweep_id = t->sweep_id();
  }
  // Loading reads the store, which already holds this batch; the merge below skips it then.
  if (!check_lease) EnsureLoaded(sweep_id);
  auto milestones = Milestones(sweep_id);
  if (!milestones.ok()) return;
  double prev = 0, top = 0;
  std::string group_key;
  std::vector<double> crossed;
  {
    absl::MutexLock lock(&mem_mu_);
    auto loaded = mem_.find(sweep_id);
    if (loaded == mem_.end()) return;
    auto found = loaded->second.find(trial_id);
    if (found == loaded->second.end()) return;
    TrialMemory& tm = found->second;
    if (!tm.trial) return;
    if (check_lease && (tm.trial->state() != v1::TRIAL_STATE_RUNNING ||
                        tm.fencing_token != batch.fencing_token())) {
      return;  // Possibly stale: only the store can tell.
    }
    // Points may come in any order within a batch; memory takes them in step order.
    std::vector<const v1::LossPoint*> sorted;
    sorted.reserve(batch.points_size());
    for (const v1::LossPoint& p : batch.points()) sorted.push_back(&p);
    std::sort(sorted.begin(), sorted.end(),
              [](const v1::LossPoint* a, const v1::LossPoint* b) { return a->step() < b->step(); });
    if (sorted.empty()) return;
    // The batch crosses a milestone if the trial was before it without the batch and at it with
    // it. Judged on the batch, not on what memory lacked: after a load from the store, memory
    // already holds a just-committed batch. A batch seen twice (on arrival and after its
    // commit) queues its round once: at the first sighting.
    auto before = std::lower_bound(
        tm.points.begin(), tm.points.end(), sorted.front()->step(),
        [](const predictor::CurvePoint& p, int64_t step) { return p.step < step; });
    if (before != tm.points.begin()) prev = std::prev(before)->fraction;
    for (const v1::LossPoint* p : sorted) {
      if (!std::isfinite(p->train_loss())) break;  // The store keeps nothing from here on.
      top = std::max(top, p->fraction());
      if (!tm.points.empty() && p->step() <= tm.points.back().step) continue;
      AppendToCurve(
          tm.points, tm.merged,
          {p->step(), static_cast<double>(p->tokens()), p->fraction(), p->train_loss(), p->lr()});
    }
    if (tm.trial->is_reference()) return;  // References are never stopped.
    group_key = tm.group_key;
    for (double m : *milestones) {
      const double edge = m - kMilestoneTolerance;
      // The first sighting is when the trial reached m: stop latency is measured from it.
      if (prev < edge && top >= edge && tm.reached.emplace(m, arrived).second) {
        crossed.push_back(m);
      }
    }
  }
  for (double m : crossed) QueueDecision({sweep_id, group_key, m, arrived});
}

// ---- Write path ----

void Scheduler::WriterLoop() {
  while (true) {
    std::vector<PendingWrite> writes;
    bool stopping = false;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(queue_mu_) { return !queue_.empty(); };
      queue_mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(50));
      size_t points = 0;
      while (!queue_.empty() && writes.size() < options_.max_batches_per_commit &&
             points < options_.max_points_per_commit) {
        points += static_cast<size_t>(queue_.front().msg.points().points_size());
        writes.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
    }
    if (!writes.empty()) CommitWrites(std::move(writes));
    if (stopping) {
      absl::MutexLock lock(&queue_mu_);
      if (queue_.empty()) return;
    }
  }
}

void Scheduler::CommitWrites(std::vector<PendingWrite> writes) {
  WriteBatch batch;
  std::vector<const PendingWrite*> point_src, checkpoint_src, decision_src, end_src;

  auto flush = [&]() {
    if (point_src.empty() && checkpoint_src.empty() && decision_src.empty() && end_src.empty()) {
      return;
    }
    AwaitNoPriorityWrite();
    auto result = store_->ApplyBatch(batch);
    if (!result.ok()) {
      // Nothing was applied and nothing acknowledged. Closing the sessions makes the workers
      // reconnect and resend everything unacknowledged; decision rounds run again.
      for (const PendingWrite* w : point_src) w->session->Close();
      for (const PendingWrite* w : checkpoint_src) w->session->Close();
      for (const PendingWrite* w : decision_src) {
        ForgetDecided(w->round, w->decisions);
        QueueDecision(w->round);
      }
      // The workers resend their ends after reconnecting.
      for (const PendingWrite* w : end_src) w->session->Close();
    } else {
      int64_t committed = 0;
      for (size_t i = 0; i < point_src.size(); ++i) {
        const PendingWrite& w = *point_src[i];
        const PointWriteResult& r = result->points[i];
        const std::string& id = w.msg.points().trial_id();
        if (!r.status.ok()) {
          SendRejection(*w.session, r.status, id);
          continue;
        }
        committed += r.inserted;
        v1::SchedulerMessage ack;
        ack.mutable_points_ack()->set_trial_id(id);
        ack.mutable_points_ack()->set_sequence(w.msg.points().sequence());
        ack.mutable_points_ack()->set_durable_step(r.durable_step);
        w.session->Send(std::move(ack));
        if (r.diverged) {
          RefreshTrial(id);
          SendRejection(*w.session,
                        absl::FailedPreconditionError("trial diverged (non-finite loss)"), id);
        }
        Remember(w.msg.points(), /*check_lease=*/false, w.arrived);
      }
      for (size_t i = 0; i < checkpoint_src.size(); ++i) {
        if (!result->checkpoints[i].ok()) {
          SendRejection(*checkpoint_src[i]->session, result->checkpoints[i],
                        checkpoint_src[i]->msg.checkpoint().trial_id());
        }
      }
      for (size_t i = 0; i < end_src.size(); ++i) {
        AfterLeaseEnd(*end_src[i], batch.lease_ends[i], result->lease_ends[i]);
      }
      absl::MutexLock lock(&mu_);
      points_committed_ += committed;
      ++version_;
    }
    batch = WriteBatch{};
    point_src.clear();
    checkpoint_src.clear();
    decision_src.clear();
    end_src.clear();
  };

  for (const PendingWrite& w : writes) {
    if (w.msg.has_points()) {
      PointWrite pw;
      pw.trial_id = w.msg.points().trial_id();
      pw.fencing_token = w.msg.points().fencing_token();
      pw.points.assign(w.msg.points().points().begin(), w.msg.points().points().end());
      batch.points.push_back(std::move(pw));
      point_src.push_back(&w);
    } else if (w.msg.has_checkpoint()) {
      batch.checkpoints.push_back(w.msg.checkpoint());
      checkpoint_src.push_back(&w);
    } else if (!w.decisions.empty()) {
      batch.decisions.insert(batch.decisions.end(), w.decisions.begin(), w.decisions.end());
      decision_src.push_back(&w);
    } else if (w.msg.has_ended()) {
      // In the same transaction as the points before it, and applied after them (WriteBatch).
      batch.lease_ends.push_back(LeaseEndFor(w.msg.ended()));
      end_src.push_back(&w);
    }
  }
  flush();
}

LeaseEnd Scheduler::LeaseEndFor(const v1::TrialEnded& e) {
  LeaseEnd end{e.trial_id(), e.fencing_token(), e.state(), e.message()};
  if (end.final_state != v1::TRIAL_STATE_FAILED) return end;
  auto trial = store_->GetTrial(e.trial_id());
  if (trial.ok() && trial->attempts() < kMaxAttempts) {
    end.final_state = v1::TRIAL_STATE_PENDING;  // Retried, from its last checkpoint.
    end.message = absl::StrCat("attempt ", trial->attempts(), " failed, retrying: ", e.message());
  }
  return end;
}

void Scheduler::AfterLeaseEnd(const PendingWrite& w, const LeaseEnd& end,
                              const LeaseEndResult& result) {
  const absl::StatusCode code = result.status.code();
  if (result.status.ok() || code == absl::StatusCode::kFailedPrecondition ||
      code == absl::StatusCode::kNotFound) {
    // Applied, or nothing left to apply (the trial was already stopped by a decision or a
    // user): either way the worker may forget it.
    v1::SchedulerMessage ack;
    ack.mutable_ended_ack()->set_trial_id(end.trial_id);
    ack.mutable_ended_ack()->set_fencing_token(end.fencing_token);
    w.session->Send(std::move(ack));
  } else {
    w.session->Close();  // Refused (e.g. a bad state): the worker resends after reconnecting.
    return;
  }
  if (result.status.ok()) UpdateMemory(result.trial, 0);  // No longer RUNNING.
  {
    absl::MutexLock lock(&mu_);
    dispatch_wanted_ = true;
    ++version_;
  }
  if (result.status.ok() && result.trial.is_reference() &&
      end.final_state == v1::TRIAL_STATE_COMPLETED) {
    DecidePassedMilestones(result.trial.sweep_id(), CollapseGroupKey(result.trial.controls()));
  }
}

// ---- Decision path ----

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

void Scheduler::DecidePassedMilestones(const std::string& sweep_id, const std::string& group_key) {
  auto milestones = Milestones(sweep_id);
  if (!milestones.ok()) return;
  for (double m : *milestones) QueueDecision({sweep_id, group_key, m, clock_->Now()});
}

void Scheduler::AwaitNoPriorityWrite() {
  absl::MutexLock lock(&gate_mu_);
  auto clear = [this]() ABSL_SHARED_LOCKS_REQUIRED(gate_mu_) { return priority_writes_ == 0; };
  // Bounded: a decider that is busy round after round must not starve the points.
  gate_mu_.AwaitWithTimeout(absl::Condition(&clear), kMaxYield);
}

void Scheduler::MarkDecided(const MilestoneEvent& round, const std::vector<v1::Decision>& decisions,
                            const absl::Status* stored) {
  absl::MutexLock lock(&mem_mu_);
  auto loaded = mem_.find(round.sweep_id);
  if (loaded == mem_.end()) return;  // Forgotten meanwhile: a reload reads the store.
  for (size_t i = 0; i < decisions.size(); ++i) {
    // ALREADY_EXISTS: decided before, the first decision stands.
    if (stored && !stored[i].ok() && !absl::IsAlreadyExists(stored[i])) continue;
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
  std::string reference_key;
  {
    absl::MutexLock lock(&mem_mu_);
    auto loaded = mem_.find(event.sweep_id);
    if (loaded == mem_.end()) return std::nullopt;  // Forgotten meanwhile: the sweep ended.
    for (const auto& [id, tm] : loaded->second) {
      if (tm.trial && tm.trial->is_reference() && tm.group_key == event.group_key) {
        references.push_back({tm.trial, tm.points});
      }
    }
    reference_key = PolicyRound::ReferenceKey(policy, references);
  }
  auto round = PolicyRound::Prepare(policy, references);
  if (!round.ok()) return std::nullopt;
  predictor::SummarizedGroup group;
  group.group_id = event.group_key;
  struct ToSummarize {
    size_t index;  // In group.trials.
    TrialCurve curve;
    SummaryStamp stamp;
  };
  std::vector<ToSummarize> work;
  std::vector<TrialCurve> undecided_curves;  // Wanted trials whose summary was kept.
  std::set<std::string> undecided;
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
        undecided.insert(id);
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
    if (undecided.empty()) return std::nullopt;  // Nobody new here: no policy to run.
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
  for (const v1::Decision& d : decisions) {
    if (!undecided.count(d.trial_id()) || stopping.count(d.trial_id())) continue;
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
    MarkDecided(r.event, r.continues, nullptr);
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
    MarkDecided(r.event, r.batch.decisions, &result->decisions[decision_at]);
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
