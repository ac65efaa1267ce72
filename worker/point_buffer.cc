#include "worker/point_buffer.h"

#include <algorithm>

namespace augur {

bool PointBuffer::Add(const std::string& trial_id, int64_t fencing_token,
                      const v1::LossPoint& point, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto has_room = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return total_ < capacity_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_room), timeout)) return false;
  TrialQueue& q = trials_[trial_id];
  if (q.fencing_token != fencing_token) {
    // A new lease on the same trial: points of the old one must not be resent under it.
    total_ -= q.points.size();
    q = TrialQueue{fencing_token, {}, 0};
  }
  q.points.push_back(point);
  ++total_;
  return true;
}

std::vector<v1::LossPointBatch> PointBuffer::TakeBatches(int max_points) {
  std::vector<v1::LossPointBatch> out;
  absl::MutexLock lock(&mu_);
  for (auto& [id, q] : trials_) {
    while (q.sent < q.points.size()) {
      v1::LossPointBatch batch;
      batch.set_trial_id(id);
      batch.set_fencing_token(q.fencing_token);
      batch.set_sequence(next_sequence_++);
      const size_t end = std::min(q.points.size(), q.sent + static_cast<size_t>(max_points));
      for (size_t i = q.sent; i < end; ++i) *batch.add_points() = q.points[i];
      q.sent = end;
      out.push_back(std::move(batch));
    }
  }
  return out;
}

void PointBuffer::Ack(const std::string& trial_id, int64_t durable_step) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  TrialQueue& q = it->second;
  while (!q.points.empty() && q.points.front().step() <= durable_step) {
    q.points.pop_front();
    if (q.sent > 0) --q.sent;
    --total_;
  }
}

void PointBuffer::ResendAll() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, q] : trials_) q.sent = 0;
}

void PointBuffer::Drop(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  total_ -= it->second.points.size();
  trials_.erase(it);
}

bool PointBuffer::WaitUntilAcked(const std::string& trial_id, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto acked = [this, &trial_id]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = trials_.find(trial_id);
    return it == trials_.end() || it->second.points.empty();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&acked), timeout);
}

size_t PointBuffer::size() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

}  // namespace augur
