#include "scheduler/point_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace augur {
namespace {

void SendRejection(WorkerSession& s, const absl::Status& st, const std::string& trial_id) {
  v1::SchedulerMessage r;
  r.mutable_rejection()->set_code(static_cast<int32_t>(st.code()));
  r.mutable_rejection()->set_message(std::string(st.message()));
  r.mutable_rejection()->set_trial_id(trial_id);
  s.Send(std::move(r));
}

}  // namespace

PointWriter::PointWriter(Store* store, const Clock* clock, CommitPriority* priority,
                         Activity* activity, PointWriterOptions options,
                         std::function<void(CommittedWrites)> sink)
    : store_(store),
      clock_(clock),
      priority_(priority),
      activity_(activity),
      options_(options),
      sink_(std::move(sink)) {}

PointWriter::~PointWriter() { Stop(); }

void PointWriter::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void PointWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void PointWriter::Enqueue(std::shared_ptr<WorkerSession> session, v1::WorkerMessage msg) {
  activity_->Handed();
  absl::MutexLock lock(&mu_);
  queue_.push_back(PendingWrite{std::move(session), std::move(msg)});
}

void PointWriter::WaitIdle() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return queue_.empty() && !busy_; };
  mu_.Await(absl::Condition(&idle));
}

void PointWriter::Loop() {
  while (true) {
    std::vector<PendingWrite> writes;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // Stopping, and everything is committed.
      size_t points = 0;
      while (!queue_.empty() && writes.size() < options_.max_batches_per_commit &&
             points < options_.max_points_per_commit) {
        points += static_cast<size_t>(queue_.front().msg.points().points_size());
        writes.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      busy_ = true;
    }
    Commit(std::move(writes));
    absl::MutexLock lock(&mu_);
    busy_ = false;
  }
}

void PointWriter::Commit(std::vector<PendingWrite> writes) {
  WriteBatch batch;
  std::vector<PendingWrite*> point_src, checkpoint_src, end_src;
  for (PendingWrite& w : writes) {
    if (w.msg.has_points()) {
      PointWrite pw;
      pw.trial_id = w.msg.points().trial_id();
      pw.fencing_token = w.msg.points().fencing_token();
      pw.points.assign(w.msg.points().points().begin(), w.msg.points().points().end());
      pw.worker_id = w.session->worker_id();  // Only the lease holder's session may write.
      batch.points.push_back(std::move(pw));
      point_src.push_back(&w);
    } else if (w.msg.has_checkpoint()) {
      batch.checkpoints.push_back(CheckpointWrite(w.msg.checkpoint(), w.session->worker_id()));
      checkpoint_src.push_back(&w);
    } else if (w.msg.has_ended()) {
      // In the same transaction as the points before it, and applied after them (WriteBatch).
      batch.lease_ends.push_back(LeaseEndFor(w.msg.ended()));
      batch.lease_ends.back().worker_id = w.session->worker_id();
      end_src.push_back(&w);
    }
  }
  if (point_src.empty() && checkpoint_src.empty() && end_src.empty()) return;
  priority_->AwaitTurn();
  auto result = store_->ApplyBatch(batch);
  if (options_.on_commit) options_.on_commit(result.status());
  if (!result.ok()) {
    // Nothing was applied and nothing acknowledged. Closing the sessions makes the workers
    // reconnect and resend everything unacknowledged (ends included).
    for (const auto* src : {&point_src, &checkpoint_src, &end_src}) {
      for (PendingWrite* w : *src) w->session->Close();
    }
    return;
  }
  CommittedWrites out;
  for (size_t i = 0; i < point_src.size(); ++i) {
    PendingWrite& w = *point_src[i];
    const PointWriteResult& r = result->points[i];
    const std::string id = w.msg.points().trial_id();
    if (!r.status.ok()) {
      SendRejection(*w.session, r.status, id);
      continue;
    }
    out.inserted += r.inserted;
    v1::SchedulerMessage ack;
    ack.mutable_points_ack()->set_trial_id(id);
    ack.mutable_points_ack()->set_sequence(w.msg.points().sequence());
    ack.mutable_points_ack()->set_durable_step(r.durable_step);
    w.session->Send(std::move(ack));
    if (r.diverged) {
      out.diverged.push_back(id);
      SendRejection(*w.session, absl::FailedPreconditionError("trial diverged (non-finite loss)"),
                    id);
    }
  }
  for (size_t i = 0; i < checkpoint_src.size(); ++i) {
    const v1::CheckpointCommit& c = checkpoint_src[i]->msg.checkpoint();
    if (!result->checkpoints[i].ok()) {
      SendRejection(*checkpoint_src[i]->session, result->checkpoints[i], c.trial_id());
      continue;
    }
    // The worker's trainer may now delete the checkpoints older than this one, never this one.
    v1::SchedulerMessage ack;
    ack.mutable_checkpoint_ack()->set_trial_id(c.trial_id());
    ack.mutable_checkpoint_ack()->set_fencing_token(c.fencing_token());
    ack.mutable_checkpoint_ack()->set_step(c.step());
    checkpoint_src[i]->session->Send(std::move(ack));
  }
  for (size_t i = 0; i < end_src.size(); ++i) {
    const LeaseEnd& end = batch.lease_ends[i];
    const LeaseEndResult& r = result->lease_ends[i];
    const absl::StatusCode code = r.status.code();
    if (!r.status.ok() && code != absl::StatusCode::kFailedPrecondition &&
        code != absl::StatusCode::kNotFound) {
      end_src[i]->session->Close();  // Refused (e.g. a bad state): resent after reconnecting.
      continue;
    }
    // Applied, or nothing left to apply (the trial was already stopped by a decision or a
    // user): either way the worker may forget it.
    v1::SchedulerMessage ack;
    ack.mutable_ended_ack()->set_trial_id(end.trial_id);
    ack.mutable_ended_ack()->set_fencing_token(end.fencing_token);
    ack.mutable_ended_ack()->set_state(r.trial.state());
    end_src[i]->session->Send(std::move(ack));
    out.slots_freed = true;
    if (r.status.ok()) out.ended.push_back(r.trial);
  }
  sink_(std::move(out));
}

LeaseEnd PointWriter::LeaseEndFor(const v1::TrialEnded& e) {
  LeaseEnd end{e.trial_id(), e.fencing_token(), e.state(), e.message()};
  if (end.final_state != v1::TRIAL_STATE_FAILED) return end;
  auto trial = store_->GetTrial(e.trial_id());
  if (trial.ok() && trial->attempts() < options_.max_attempts) {
    end.final_state = v1::TRIAL_STATE_PENDING;  // Retried, from its last checkpoint.
    end.message = absl::StrCat("attempt ", trial->attempts(), " failed, retrying: ", e.message());
  }
  return end;
}

}  // namespace augur
