// The outgoing side of one worker's session: the messages the scheduler queues for the worker,
// which the gRPC handler drains onto the stream, and how many more slots the worker asked for.
// Thread-safe.
#ifndef AUGUR_SCHEDULER_WORKER_SESSION_H_
#define AUGUR_SCHEDULER_WORKER_SESSION_H_

#include <cstdint>
#include <deque>
#include <limits>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/worker.pb.h"

namespace augur {

class WorkerSession {
 public:
  // At most `max_queued` messages wait for the worker: a client that never reads (or a link
  // too slow for its traffic) has its session closed rather than growing the scheduler's memory
  // without bound; a real worker reconnects and resends what was not acknowledged.
  WorkerSession(std::string worker_id, int slots, int64_t id, size_t max_queued = 100'000)
      : worker_id_(std::move(worker_id)), slots_(slots), id_(id), max_queued_(max_queued) {}
  const std::string& worker_id() const { return worker_id_; }
  int slots() const { return slots_; }  // The worker's total GPUs or CPU slots.
  int64_t id() const { return id_; }    // Unique per scheduler run.

  // Queues a message; dropped if the session is closed. Closes the session instead when
  // `max_queued` messages are waiting.
  void Send(v1::SchedulerMessage msg);
  // Takes the next queued message without waiting; false if none.
  bool TryNext(v1::SchedulerMessage* msg);
  // Waits up to `timeout` (wall time: the gRPC handler's poll of its call) for the next
  // message; false if none (or closed and drained).
  bool Next(v1::SchedulerMessage* msg, absl::Duration timeout);
  void Close();
  bool closed() const;

  // The worker's latest LeaseRequest: it wants leases for at most `slots` more slots from now.
  void SetWanted(int slots);
  // How many more slots the worker asked for; TakeWanted counts a grant of `slots`.
  int wanted() const;
  void TakeWanted(int slots);

 private:
  bool PopLocked(v1::SchedulerMessage* msg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string worker_id_;
  const int slots_;
  const int64_t id_;
  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<v1::SchedulerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // No cap until the worker sends a LeaseRequest (simple clients never do; the scheduler's
  // count of live leases still caps them).
  int wanted_ ABSL_GUARDED_BY(mu_) = std::numeric_limits<int>::max();
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_WORKER_SESSION_H_
