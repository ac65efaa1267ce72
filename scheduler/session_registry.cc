#include "scheduler/session_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace augur {

std::string SessionRegistry::IssueToken(const std::string& worker_id) {
  const std::string token = absl::StrFormat("%016x%016x", random_->Next(), random_->Next());
  absl::MutexLock lock(&mu_);
  tokens_[worker_id] = token;
  return token;
}

absl::Status SessionRegistry::CheckToken(const std::string& worker_id,
                                         const std::string& token) const {
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(worker_id);
  if (it == tokens_.end() || it->second != token) {
    return absl::UnauthenticatedError(
        absl::StrCat("unknown session token for worker '", worker_id, "': register first"));
  }
  if (closed_) return absl::UnavailableError("scheduler is shutting down");
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<WorkerSession>> SessionRegistry::Open(const std::string& worker_id,
                                                                     int slots,
                                                                     v1::SchedulerMessage first) {
  std::shared_ptr<WorkerSession> session, old;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("scheduler is shutting down");
    if (sessions_.count(worker_id) == 0 && sessions_.size() >= limits_.max_sessions) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the scheduler serves at most ", limits_.max_sessions,
                       " worker sessions (--max-sessions); worker '", worker_id, "' refused"));
    }
    session = std::make_shared<WorkerSession>(worker_id, slots, next_session_id_++,
                                              limits_.max_queued_messages);
    session->Send(std::move(first));
    auto it = sessions_.find(worker_id);
    if (it != sessions_.end()) old = it->second;
    sessions_[worker_id] = session;
  }
  if (old) old->Close();
  return session;
}

bool SessionRegistry::Close(const std::shared_ptr<WorkerSession>& session) {
  session->Close();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session->worker_id());
  if (it == sessions_.end() || it->second != session) return false;
  sessions_.erase(it);
  return true;
}

void SessionRegistry::CloseAll() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (auto& [id, s] : sessions_) s->Close();
}

std::vector<std::shared_ptr<WorkerSession>> SessionRegistry::Current() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<WorkerSession>> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) out.push_back(s);
  return out;
}

bool SessionRegistry::IsConnected(const std::string& worker_id) const {
  absl::MutexLock lock(&mu_);
  return sessions_.count(worker_id) > 0;
}

std::vector<bool> SessionRegistry::SendOrders(std::span<const TrialOrderFor> orders,
                                              int64_t issued_unix_ms) {
  std::vector<bool> queued(orders.size(), false);
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < orders.size(); ++i) {
    const TrialOrderFor& o = orders[i];
    const int64_t order_id = next_order_id_++;
    auto it = sessions_.find(o.worker_id);
    if (it == sessions_.end()) continue;
    v1::SchedulerMessage m;
    v1::TrialOrder* order = m.mutable_order();
    order->set_order_id(order_id);
    order->set_trial_id(o.trial_id);
    order->set_fencing_token(o.fencing_token);
    order->set_action(o.action);
    order->set_reason(o.reason);
    order->set_issued_unix_ms(issued_unix_ms);
    it->second->Send(std::move(m));
    queued[i] = true;
  }
  return queued;
}

void SessionRegistry::AnnounceEnded(std::span<const std::string> trial_ids) {
  if (trial_ids.empty()) return;
  v1::SchedulerMessage message;
  for (const std::string& id : trial_ids) message.mutable_trials_ended()->add_trial_ids(id);
  for (const std::shared_ptr<WorkerSession>& session : Current()) session->Send(message);
}

}  // namespace augur
