// The durable write path: what workers write under their leases (loss points, checkpoint
// commits, lease ends) is queued in arrival order, committed in batches (one transaction each),
// and acknowledged on the worker's session only after its transaction commits; a write the store
// refuses comes back as a Rejection. What the commit changed besides points (trial rows that
// ended or diverged, slots that came free) is then handed on to the sink, on the writer's
// thread. The points themselves went to the decision path as they arrived (trial_curves.h).
//
// Threads: Enqueue from any thread; one writer thread commits. Thread-safe.
#ifndef AUGUR_SCHEDULER_POINT_WRITER_H_
#define AUGUR_SCHEDULER_POINT_WRITER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/worker.pb.h"
#include "common/clock.h"
#include "scheduler/activity.h"
#include "scheduler/commit_priority.h"
#include "scheduler/store.h"
#include "scheduler/worker_session.h"

namespace augur {

// What one transaction changed, as the parts after the writer need it.
struct CommittedWrites {
  std::vector<std::string> diverged;  // Trials that a non-finite loss ended.
  std::vector<v1::Trial> ended;       // Trials whose lease end was applied, after the change.
  bool slots_freed = false;           // A lease end was applied or acknowledged.
  int64_t inserted = 0;               // New points (not counting re-sent duplicates).
};

struct PointWriterOptions {
  size_t max_batches_per_commit = 512;  // Worker writes grouped into one transaction...
  size_t max_points_per_commit = 2048;  // ...and the points in one transaction.
  int max_attempts = 3;                 // A FAILED trial is retried until it has run this often.
  // Told the outcome of every commit (OK, or the store's error), on the writer thread.
  std::function<void(const absl::Status&)> on_commit;
};

class PointWriter {
 public:
  // Everything given must outlive the writer. `sink` is called on the writer thread after each
  // successful commit and after the acknowledgements are queued.
  PointWriter(Store* store, const Clock* clock, CommitPriority* priority, Activity* activity,
              PointWriterOptions options, std::function<void(CommittedWrites)> sink);
  ~PointWriter();
  PointWriter(const PointWriter&) = delete;
  PointWriter& operator=(const PointWriter&) = delete;

  void Start();
  // Commits everything queued, then joins the thread. Idempotent.
  void Stop();

  // Queues a worker's points, checkpoint commit or lease end (other kinds are ignored).
  void Enqueue(std::shared_ptr<WorkerSession> session, v1::WorkerMessage msg);

  // Blocks until the queue is empty and no commit is in flight.
  void WaitIdle();

 private:
  struct PendingWrite {
    std::shared_ptr<WorkerSession> session;
    v1::WorkerMessage msg;
  };
  void Loop();
  void Commit(std::vector<PendingWrite> writes);
  // The lease end a TrialEnded asks for (a FAILED trial with attempts left goes back to
  // PENDING, to resume from its checkpoint).
  LeaseEnd LeaseEndFor(const v1::TrialEnded& e);

  Store* const store_;
  const Clock* const clock_;
  CommitPriority* const priority_;
  Activity* const activity_;
  const PointWriterOptions options_;
  const std::function<void(CommittedWrites)> sink_;

  absl::Mutex mu_;
  std::deque<PendingWrite> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_POINT_WRITER_H_
