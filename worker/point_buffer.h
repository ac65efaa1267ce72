// Loss points on their way from trial processes to the scheduler. A point stays here until the
// scheduler acknowledges it durable; when the session breaks, everything unacknowledged is sent
// again on the next one (points are keyed by (trial, step), so a resend is harmless). The
// buffer is bounded: when it is full, Add blocks, which stops reading the trainer's stdout and
// so pauses the trainer rather than losing points or growing without limit.
#ifndef AUGUR_WORKER_POINT_BUFFER_H_
#define AUGUR_WORKER_POINT_BUFFER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/worker.pb.h"

namespace augur {

// Thread-safe.
class PointBuffer {
 public:
  explicit PointBuffer(size_t capacity_points) : capacity_(capacity_points) {}

  // Queues a point of `trial_id` under `fencing_token`. Blocks while the buffer holds
  // `capacity` points; returns false if still full after `timeout` (the point is not queued).
  bool Add(const std::string& trial_id, int64_t fencing_token, const v1::LossPoint& point,
           absl::Duration timeout);

  // Unsent points as batches of at most `max_points` each (one trial per batch, ascending
  // steps), marked as sent. Sequence numbers increase across calls.
  std::vector<v1::LossPointBatch> TakeBatches(int max_points);

  // The scheduler holds every point of `trial_id` up to `durable_step`: forget them.
  void Ack(const std::string& trial_id, int64_t durable_step);

  // The session broke: points sent but not acknowledged become unsent again.
  void ResendAll();

  // Forgets a trial's points (its lease is gone: a stale writer must not resend).
  void Drop(const std::string& trial_id);

  // Blocks until every point of `trial_id` is acknowledged; false after `timeout`.
  bool WaitUntilAcked(const std::string& trial_id, absl::Duration timeout);

  // Points held (sent or not).
  size_t size() const;

 private:
  struct TrialQueue {
    int64_t fencing_token = 0;
    std::deque<v1::LossPoint> points;  // Ascending steps.
    size_t sent = 0;                   // Prefix of `points` already sent.
  };

  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::map<std::string, TrialQueue> trials_ ABSL_GUARDED_BY(mu_);
  size_t total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace augur

#endif  // AUGUR_WORKER_POINT_BUFFER_H_
