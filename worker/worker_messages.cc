// WorkerDaemon::HandleMessage (worker_daemon.h): what the worker does with each message the
// scheduler sends on its session, on the session's reader thread.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "worker/worker_daemon.h"

namespace augur {

void WorkerDaemon::HandleMessage(const v1::SchedulerMessage& msg) {
  switch (msg.kind_case()) {
    case v1::SchedulerMessage::kAccepted: {
      absl::MutexLock lock(&mu_);
      std::map<std::string, int64_t> valid;
      for (const auto& h : msg.accepted().valid_leases()) valid[h.trial_id()] = h.fencing_token();
      std::vector<std::string> gone;
      for (auto& [id, slot] : slots_) {
        auto it = valid.find(id);
        if (it == valid.end() || it->second != slot.fencing_token) {
          gone.push_back(id);
          continue;
        }
        // Still ours: the scheduler may have missed the checkpoint or the end.
        if (slot.checkpoint) {
          v1::WorkerMessage m;
          *m.mutable_checkpoint() = *slot.checkpoint;
          Enqueue(std::move(m));
        }
        if (slot.ended) {
          v1::WorkerMessage m;
          *m.mutable_ended() = *slot.ended;
          Enqueue(std::move(m));
        }
      }
      for (const auto& id : gone) {
        Log(LogLevel::kWarning, "lease_lost", {{"worker", options_.worker_id}, {"trial", id}},
            "the scheduler no longer has this lease for us (it expired while we were away); "
            "stopping the trial");
        ForgetTrial(id);
      }
      renewed_at_ = std::max(renewed_at_, hello_sent_at_);  // The hello renewed the rest.
      accepted_ = true;
      return;
    }
    case v1::SchedulerMessage::kRenewed: {
      absl::MutexLock lock(&mu_);
      TakeRenewal(msg.renewed());
      return;
    }
    case v1::SchedulerMessage::kCheckpointAck: {
      const v1::CheckpointAck& ack = msg.checkpoint_ack();
      absl::MutexLock lock(&mu_);
      auto it = slots_.find(ack.trial_id());
      if (it != slots_.end() && it->second.fencing_token == ack.fencing_token() &&
          it->second.trial) {
        it->second.trial->CheckpointCommitted(ack.step());
      }
      return;
    }
    case v1::SchedulerMessage::kLease:
      StartTrial(msg.lease());
      return;
    case v1::SchedulerMessage::kPointsAck:
      buffer_.Ack(msg.points_ack().trial_id(), msg.points_ack().durable_step());
      return;
    case v1::SchedulerMessage::kOrder: {
      const v1::TrialOrder& order = msg.order();
      absl::MutexLock lock(&mu_);
      v1::WorkerMessage ack;
      ack.mutable_order_ack()->set_order_id(order.order_id());
      auto it = slots_.find(order.trial_id());
      if (it == slots_.end() || it->second.fencing_token != order.fencing_token()) {
        ack.mutable_order_ack()->set_error("no such lease on this worker");
      } else if (!it->second.ended && it->second.trial) {
        if (order.action() == v1::TrialOrder::ACTION_PAUSE) {
          it->second.trial->Pause();
        } else {
          it->second.ordered_stop = true;
          it->second.trial->Stop();
        }
      }
      Enqueue(std::move(ack));
      return;
    }
    case v1::SchedulerMessage::kRejection: {
      const v1::Rejection& r = msg.rejection();
      // A refused write for a trial means its lease is gone (expired and fenced off, or the
      // trial is unknown): stop it and drop its points. Other rejections are informational.
      const bool lease_gone =
          !r.trial_id().empty() && (r.code() == grpc::StatusCode::FAILED_PRECONDITION ||
                                    r.code() == grpc::StatusCode::NOT_FOUND);
      Log(lease_gone ? LogLevel::kWarning : LogLevel::kError, "write_rejected",
          {{"worker", options_.worker_id},
           {"trial", r.trial_id()},
           {"code", absl::StrCat(r.code())}},
          r.message());
      absl::MutexLock lock(&mu_);
      auto it = slots_.find(r.trial_id());
      if (lease_gone) {
        // A trial the scheduler stopped refuses its exit checkpoint; its end is still reported
        // (and acknowledged, which lets the worker delete its checkpoints).
        if (it == slots_.end() || !it->second.ordered_stop) ForgetTrial(r.trial_id());
        return;
      }
      if (r.code() == grpc::StatusCode::INVALID_ARGUMENT && it != slots_.end() &&
          !it->second.ended && it->second.refused.empty()) {
        // Its trainer sends points the scheduler will never take: resending them would loop
        // for ever. The trial ends FAILED with the reason (and is retried from its checkpoint).
        it->second.refused = r.message();
        buffer_.Drop(r.trial_id());
        if (it->second.trial) it->second.trial->Stop();
      }
      return;
    }
    case v1::SchedulerMessage::kEndedAck: {
      const v1::TrialEndedAck& ack = msg.ended_ack();
      {
        absl::MutexLock lock(&mu_);
        auto it = slots_.find(ack.trial_id());
        if (it != slots_.end() && it->second.fencing_token == ack.fencing_token() &&
            it->second.ended) {
          ForgetTrial(it->first);
        }
      }
      switch (ack.state()) {
        case v1::TRIAL_STATE_COMPLETED:
        case v1::TRIAL_STATE_STOPPED:
        case v1::TRIAL_STATE_DIVERGED:
        case v1::TRIAL_STATE_FAILED:
        case v1::TRIAL_STATE_CANCELLED:
          runner_->Discard(ack.trial_id());  // Terminal: nothing resumes from its checkpoints.
          return;
        default:
          return;
      }
    }
    case v1::SchedulerMessage::kTrialsEnded: {
      // Ended elsewhere or while waiting: checkpoints this worker kept of them can go, unless
      // it runs the trial now (then its own end, acknowledged, discards them).
      for (const std::string& id : msg.trials_ended().trial_ids()) {
        {
          absl::MutexLock lock(&mu_);
          if (slots_.contains(id)) continue;
        }
        runner_->Discard(id);
      }
      return;
    }
    case v1::SchedulerMessage::KIND_NOT_SET:
      return;
  }
}

}  // namespace augur
