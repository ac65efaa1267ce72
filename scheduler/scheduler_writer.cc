// The scheduler's write path: worker writes committed in batches, acknowledgements sent only
// after the commit; and the in-memory curves, fed on arrival, where milestone crossings are
// detected. The decision path that runs on them is in scheduler_decider.cc.
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
  {
    absl::MutexLock lock(&mem_mu_);
    if (mem_.count(sweep_id)) return;  // Loaded concurrently.
    for (const auto& [id, m] : loaded) trial_sweep_[id] = sweep_id;
    mem_[sweep_id] = std::move(loaded);
  }
  QueueUndecidedMilestones(sweep_id);
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

void Scheduler::AwaitNoPriorityWrite() {
  absl::MutexLock lock(&gate_mu_);
  auto clear = [this]() ABSL_SHARED_LOCKS_REQUIRED(gate_mu_) { return priority_writes_ == 0; };
  // Bounded: a decider that is busy round after round must not starve the points.
  gate_mu_.AwaitWithTimeout(absl::Condition(&clear), kMaxYield);
}

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
    QueueUndecidedMilestones(result.trial.sweep_id(), CollapseGroupKey(result.trial.controls()));
  }
}

}  // namespace augur
