// The scheduler's write path: worker writes committed in batches, acknowledgements sent only
// after the commit, milestone detection, and the stopping policy's decisions executed.
#include <algorithm>
#include <cmath>
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
constexpr int kMaxAttempts = 3;  // FAILED trials are retried (from their checkpoint) this often.

void SendRejection(WorkerSession& s, const absl::Status& st, const std::string& trial_id) {
  v1::SchedulerMessage r;
  r.mutable_rejection()->set_code(static_cast<int32_t>(st.code()));
  r.mutable_rejection()->set_message(std::string(st.message()));
  r.mutable_rejection()->set_trial_id(trial_id);
  s.Send(std::move(r));
}

}  // namespace

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
  std::vector<MilestoneEvent> events;
  WriteBatch batch;
  std::vector<const PendingWrite*> point_src, checkpoint_src;

  auto flush = [&]() {
    if (point_src.empty() && checkpoint_src.empty()) return;
    // The fraction each trial had reached before this commit, for milestone detection. Trials
    // not seen since the scheduler started are looked up once.
    std::map<std::string, double> before;
    for (const PendingWrite* w : point_src) {
      const std::string& id = w->msg.points().trial_id();
      if (before.count(id)) continue;
      absl::MutexLock lock(&mu_);
      auto it = last_fraction_.find(id);
      if (it != last_fraction_.end()) before[id] = it->second;
    }
    for (const PendingWrite* w : point_src) {
      const std::string& id = w->msg.points().trial_id();
      if (before.count(id)) continue;
      auto t = store_->GetTrial(id);
      before[id] = t.ok() && t->has_last_point() ? t->last_point().fraction() : 0.0;
    }
    auto result = store_->ApplyBatch(batch);
    if (!result.ok()) {
      // Nothing was applied and nothing acknowledged. Closing the sessions makes the workers
      // reconnect and resend everything unacknowledged.
      for (const PendingWrite* w : point_src) w->session->Close();
      for (const PendingWrite* w : checkpoint_src) w->session->Close();
    } else {
      int64_t committed = 0;
      std::map<std::string, std::pair<double, absl::Time>> reached;  // trial -> (fraction, t)
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
          SendRejection(*w.session,
                        absl::FailedPreconditionError("trial diverged (non-finite loss)"), id);
        }
        double top = 0;
        for (const v1::LossPoint& p : w.msg.points().points()) {
          if (std::isfinite(p.train_loss())) top = std::max(top, p.fraction());
        }
        auto& slot = reached[id];
        if (top > slot.first) slot = {top, w.arrived};
      }
      for (size_t i = 0; i < checkpoint_src.size(); ++i) {
        if (!result->checkpoints[i].ok()) {
          SendRejection(*checkpoint_src[i]->session, result->checkpoints[i],
                        checkpoint_src[i]->msg.checkpoint().trial_id());
        }
      }
      for (const auto& [id, top] : reached) {
        const double prev = before[id];
        {
          absl::MutexLock lock(&mu_);
          double& last = last_fraction_[id];
          last = std::max(last, top.first);
        }
        auto trial = store_->GetTrial(id);
        if (!trial.ok() || trial->is_reference()) continue;
        auto sweep = CachedSweep(trial->sweep_id());
        if (!sweep.ok()) continue;
        for (double m : DecisionFractions(sweep->spec().policy())) {
          const double edge = m - kMilestoneTolerance;
          if (prev < edge && top.first >= edge) {
            events.push_back(
                {trial->sweep_id(), CollapseGroupKey(trial->controls()), m, top.second});
          }
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

  // Several trials crossing the same milestone in one commit need one decision round.
  std::sort(events.begin(), events.end(), [](const MilestoneEvent& a, const MilestoneEvent& b) {
    return std::tie(a.sweep_id, a.group_key, a.fraction, a.arrived) <
           std::tie(b.sweep_id, b.group_key, b.fraction, b.arrived);
  });
  std::set<std::tuple<std::string, std::string, double>> done;
  for (const MilestoneEvent& e : events) {
    if (done.insert({e.sweep_id, e.group_key, e.fraction}).second) Decide(e);
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
  {
    absl::MutexLock lock(&mu_);
    dispatch_wanted_ = true;
    ++version_;
  }
  if (ended.ok() && ended->is_reference() && final_state == v1::TRIAL_STATE_COMPLETED) {
    DecidePassedMilestones(ended->sweep_id(), CollapseGroupKey(ended->controls()));
  }
}

void Scheduler::DecidePassedMilestones(const std::string& sweep_id, const std::string& group_key) {
  auto sweep = CachedSweep(sweep_id);
  if (!sweep.ok()) return;
  for (double m : DecisionFractions(sweep->spec().policy())) {
    Decide({sweep_id, group_key, m, clock_->Now()});
  }
}

void Scheduler::Decide(const MilestoneEvent& event) {
  auto sweep = CachedSweep(event.sweep_id);
  if (!sweep.ok()) return;
  auto trials = store_->ListTrials(event.sweep_id);
  if (!trials.ok()) return;
  std::vector<TrialCurve> group, references;
  for (v1::Trial& t : *trials) {
    if (CollapseGroupKey(t.controls()) != event.group_key) continue;
    TrialCurve c;
    auto points = store_->ReadPoints(t.trial_id(), 0);
    if (!points.ok()) return;
    c.points = std::move(*points);
    c.trial = std::move(t);
    (c.trial.is_reference() ? references : group).push_back(std::move(c));
  }
  auto decisions =
      DecideGroup(sweep->spec().policy(), group, references, event.fraction, clock_->NowUnixMs());
  if (!decisions.ok()) return;
  std::map<std::string, const TrialCurve*> by_id;
  for (const TrialCurve& c : group) by_id[c.trial.trial_id()] = &c;
  bool changed = false;
  for (const v1::Decision& d : *decisions) {
    auto it = by_id.find(d.trial_id());
    if (it == by_id.end() || it->second->points.empty()) continue;
    // Only trials at the milestone get a decision recorded for it; the others are decided
    // when they arrive there. A trial waiting for its reference is decided later too.
    const double progress = it->second->points.back().fraction();
    const bool diverged = !std::isfinite(it->second->points.back().train_loss());
    if (!diverged && progress < event.fraction - kMilestoneTolerance) continue;
    if (d.action() == v1::DECISION_ACTION_CONTINUE && d.reason() == "waiting for reference runs") {
      continue;
    }
    if (IsTerminal(it->second->trial.state())) continue;
    const absl::Status recorded = store_->RecordDecision(d);
    if (!recorded.ok()) continue;  // ALREADY_EXISTS: decided at this milestone before.
    changed = true;
    if (d.action() == v1::DECISION_ACTION_STOP) {
      EndTrial(d.trial_id(), diverged ? v1::TRIAL_STATE_DIVERGED : v1::TRIAL_STATE_STOPPED,
               d.reason(), event.arrived)
          .IgnoreError();
    }
  }
  if (changed) Bump();
}

}  // namespace augur
