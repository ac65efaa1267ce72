#include "scheduler/worker_session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace augur {

void WorkerSession::Send(v1::SchedulerMessage msg) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  if (queue_.size() >= max_queued_) {
    Log(LogLevel::kWarning, "session_overflow",
        {{"worker", worker_id_}, {"queued", absl::StrCat(queue_.size())}},
        "the worker does not read its session; closing it");
    closed_ = true;
    queue_.clear();  // Nothing in it was acknowledged work; the worker resends.
    return;
  }
  queue_.push_back(std::move(msg));
}

bool WorkerSession::TryNext(v1::SchedulerMessage* msg) {
  absl::MutexLock lock(&mu_);
  return PopLocked(msg);
}

bool WorkerSession::Next(v1::SchedulerMessage* msg, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closed_ || !queue_.empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return PopLocked(msg);
}

bool WorkerSession::PopLocked(v1::SchedulerMessage* msg) {
  if (queue_.empty()) return false;
  *msg = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void WorkerSession::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool WorkerSession::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

void WorkerSession::SetWanted(int slots) {
  absl::MutexLock lock(&mu_);
  wanted_ = std::max(0, slots);
}

int WorkerSession::wanted() const {
  absl::MutexLock lock(&mu_);
  return wanted_;
}

void WorkerSession::TakeWanted(int slots) {
  absl::MutexLock lock(&mu_);
  if (wanted_ != std::numeric_limits<int>::max()) wanted_ = std::max(0, wanted_ - slots);
}

}  // namespace augur
