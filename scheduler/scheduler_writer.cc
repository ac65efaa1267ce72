// The scheduler's write path: worker writes committed in batches, acknowledgements sent only
// after the commit, milestone detection; and the decision path: the stopping policy run on
// in-memory curves on its own thread, its decisions stored in one transaction, then executed.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
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
constexpr int kMaxAttempts = 3;  // FAILED trials are retried (from their checkpoint) this often.

void SendRejection(WorkerSession& s, const absl::Status& st, const std::string& trial_id) {
  v1::SchedulerMessage r;
  r.mutable_rejection()->set_code(static_cast<int32_t>(st.code()));
  r.mutable_rejection()->set_message(std::string(st.message()));
  r.mutable_rejection()->set_trial_id(trial_id);
  s.Send(std::move(r));
}

}  // namespace

// ---- In-memory curves ----

void Scheduler::EnsureLoaded(const std::string& sweep_id) {
  {
    absl::MutexLock lock(&mem_mu_);
    if (mem_.count(sweep_id)) return;
  }
  auto trials = store_->ListTrials(sweep_id);
  if (!trials.ok()) return;
  std::map<std::string, TrialMemory> loaded;
  for (v1::Trial& t : *trials) {
    auto points = store_->ReadPoints(t.trial_id(), 0);
    if (!points.ok()) return;
    TrialMemory& m = loaded[t.trial_id()];
    m.points = std::move(*points);
    m.trial = std::move(t);
  }
  absl::MutexLock lock(&mem_mu_);
  if (mem_.count(sweep_id)) return;  // Loaded concurrently.
  for (const auto& [id, m] : loaded) trial_sweep_[id] = sweep_id;
  mem_[sweep_id] = std::move(loaded);
}

void Scheduler::RefreshTrial(const std::string& trial_id) {
  auto t = store_->GetTrial(trial_id);
  if (!t.ok()) return;
  absl::MutexLock lock(&mem_mu_);
  auto sweep = mem_.find(t->sweep_id());
  if (sweep == mem_.end()) return;  // Not loaded: a later load reads the fresh row.
  sweep->second[trial_id].trial = std::move(*t);
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
      while (!queue_.empty() && writes.size() < options_.max_batches_per_commit) {
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
  std::vector<const PendingWrite*> point_src, checkpoint_src;

  auto flush = [&]() {
    if (point_src.empty() && checkpoint_src.empty()) return;
    auto result = store_->ApplyBatch(batch);
    if (!result.ok()) {
      // Nothing was applied and nothing acknowledged. Closing the sessions makes the workers
      // reconnect and resend everything unacknowledged.
      for (const PendingWrite* w : point_src) w->session->Close();
      for (const PendingWrite* w : checkpoint_src) w->session->Close();
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
        Remember(id, w.msg.points(), w.arrived);
      }
      for (size_t i = 0; i < checkpoint_src.size(); ++i) {
        if (!result->checkpoints[i].ok()) {
          SendRejection(*checkpoint_src[i]->session, result->checkpoints[i],
                        checkpoint_src[i]->msg.checkpoint().trial_id());
        }
      }
      absl::MutexLock lock(&mu_);
      points_committed_ += committed;
      ++version_;
    }
    batch = WriteBatch{};
    point_src.clear();
    checkpoint_src.clear();
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
    } else if (w.msg.has_ended()) {
      flush();  // Every point sent before the end is durable before the end is applied.
      HandleEnded(w);
    }
  }
  flush();
}

void Scheduler::Remember(const std::string& trial_id, const v1::LossPointBatch& batch,
                         absl::Time arrived) {
  std::string sweep_id;
  {
    absl::MutexLock lock(&mem_mu_);
    auto it = trial_sweep_.find(trial_id);
    if (it != trial_sweep_.end()) sweep_id = it->second;
  }
  if (sweep_id.empty()) {
    auto t = store_->GetTrial(trial_id);
    if (!t.ok()) return;
    sweep_id = t->sweep_id();
  }
  // Loading reads the store, which already holds this batch; the merge below skips it then.
  EnsureLoaded(sweep_id);
  auto sweep = CachedSweep(sweep_id);
  if (!sweep.ok()) return;
  double prev = 0, top = 0;
  std::string group_key;
  {
    absl::MutexLock lock(&mem_mu_);
    TrialMemory& tm = mem_[sweep_id][trial_id];
    int64_t first_step = std::numeric_limits<int64_t>::max();
    for (const v1::LossPoint& p : batch.points()) first_step = std::min(first_step, p.step());
    for (const v1::LossPoint& p : tm.points) {
      if (p.step() < first_step) prev = std::max(prev, p.fraction());
    }
    for (const v1::LossPoint& p : batch.points()) {
      if (!std::isfinite(p.train_loss())) break;  // The store keeps nothing from here on.
      top = std::max(top, p.fraction());
      if (tm.points.empty() || p.step() > tm.points.back().step()) tm.points.push_back(p);
    }
    if (tm.trial.is_reference()) return;  // References are never stopped.
    group_key = CollapseGroupKey(tm.trial.controls());
  }
  for (double m : DecisionFractions(sweep->spec().policy())) {
    const double edge = m - kMilestoneTolerance;
    if (prev < edge && top >= edge) QueueDecision({sweep_id, group_key, m, arrived});
  }
}

void Scheduler::HandleEnded(const PendingWrite& w) {
  const v1::TrialEnded& e = w.msg.ended();
  v1::TrialState final_state = e.state();
  std::string message = e.message();
  auto trial = store_->GetTrial(e.trial_id());
  if (final_state == v1::TRIAL_STATE_FAILED && trial.ok() && trial->attempts() < kMaxAttempts) {
    final_state = v1::TRIAL_STATE_PENDING;  // Retried, from its last checkpoint.
    message = absl::StrCat("attempt ", trial->attempts(), " failed, retrying: ", message);
  }
  auto ended = store_->EndLease(e.trial_id(), e.fencing_token(), final_state, message);
  const absl::StatusCode code = ended.status().code();
  if (ended.ok() || code == absl::StatusCode::kFailedPrecondition ||
      code == absl::StatusCode::kNotFound) {
    // Applied, or nothing left to apply (the trial was already stopped by a decision or a
    // user): either way the worker may forget it.
    v1::SchedulerMessage ack;
    ack.mutable_ended_ack()->set_trial_id(e.trial_id());
    ack.mutable_ended_ack()->set_fencing_token(e.fencing_token());
    w.session->Send(std::move(ack));
  } else {
    w.session->Close();  // Storage trouble: the worker resends the end after reconnecting.
    return;
  }
  if (ended.ok()) RefreshTrial(e.trial_id());
  {
    absl::MutexLock lock(&mu_);
    dispatch_wanted_ = true;
    ++version_;
  }
  if (ended.ok() && ended->is_reference() && final_state == v1::TRIAL_STATE_COMPLETED) {
    DecidePassedMilestones(ended->sweep_id(), CollapseGroupKey(ended->controls()));
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
    for (const auto& [key, arrived] : rounds) {
      Decide({std::get<0>(key), std::get<1>(key), std::get<2>(key), arrived});
    }
  }
}

void Scheduler::DecidePassedMilestones(const std::string& sweep_id, const std::string& group_key) {
  auto sweep = CachedSweep(sweep_id);
  if (!sweep.ok()) return;
  for (double m : DecisionFractions(sweep->spec().policy())) {
    QueueDecision({sweep_id, group_key, m, clock_->Now()});
  }
}

void Scheduler::Decide(const MilestoneEvent& event) {
  auto sweep = CachedSweep(event.sweep_id);
  if (!sweep.ok()) return;
  EnsureLoaded(event.sweep_id);
  // Copy the group out of memory: contenders up to the milestone (all a policy may look at),
  // references whole.
  std::vector<TrialCurve> group, references;
  {
    absl::MutexLock lock(&mem_mu_);
    for (const auto& [id, tm] : mem_[event.sweep_id]) {
      if (CollapseGroupKey(tm.trial.controls()) != event.group_key) continue;
      TrialCurve c;
      c.trial = tm.trial;
      if (tm.trial.is_reference()) {
        c.points = tm.points;
        references.push_back(std::move(c));
        continue;
      }
      for (const v1::LossPoint& p : tm.points) {
        if (p.fraction() > event.fraction + kMilestoneTolerance) break;
        c.points.push_back(p);
      }
      group.push_back(std::move(c));
    }
  }
  auto decisions =
      DecideGroup(sweep->spec().policy(), group, references, event.fraction, clock_->NowUnixMs());
  if (!decisions.ok()) return;
  std::map<std::string, const TrialCurve*> by_id;
  for (const TrialCurve& c : group) by_id[c.trial.trial_id()] = &c;
  WriteBatch batch;
  for (const v1::Decision& d : *decisions) {
    auto it = by_id.find(d.trial_id());
    if (it == by_id.end() || it->second->points.empty()) continue;
    // Only trials at the milestone get a decision recorded for it; the others are decided
    // when they arrive there. A trial waiting for its reference is decided later too.
    if (it->second->points.back().fraction() < event.fraction - kMilestoneTolerance) continue;
    if (d.action() == v1::DECISION_ACTION_CONTINUE && d.reason() == "waiting for reference runs") {
      continue;
    }
    if (IsTerminal(it->second->trial.state())) continue;
    batch.decisions.push_back(d);
  }
  if (batch.decisions.empty()) return;
  // One transaction for the whole round; a decision already taken at this milestone (before a
  // restart, or by an earlier round) comes back ALREADY_EXISTS and is not executed again.
  auto result = store_->ApplyBatch(batch);
  if (!result.ok()) return;
  for (size_t i = 0; i < batch.decisions.size(); ++i) {
    const v1::Decision& d = batch.decisions[i];
    if (!result->decisions[i].ok()) continue;
    RefreshTrial(d.trial_id());  // Its prediction and last decision changed.
    if (d.action() == v1::DECISION_ACTION_STOP) {
      EndTrial(d.trial_id(), v1::TRIAL_STATE_STOPPED, d.reason(), event.arrived).IgnoreError();
    }
  }
  Bump();
}

}  // namespace augur
