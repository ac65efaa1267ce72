// Who is connected: the session token issued to each registered worker, each worker's live
// session, and the orders (stop, pause) sent down those sessions. Thread-safe.
#ifndef AUGUR_SCHEDULER_SESSION_REGISTRY_H_
#define AUGUR_SCHEDULER_SESSION_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "augur/v1/worker.pb.h"
#include "common/random.h"
#include "scheduler/worker_session.h"

namespace augur {

// An order for the worker holding a trial's lease.
struct TrialOrderFor {
  std::string worker_id;
  std::string trial_id;
  int64_t fencing_token = 0;
  v1::TrialOrder::Action action = v1::TrialOrder::ACTION_STOP;
  std::string reason;
};

struct SessionLimits {
  size_t max_sessions = 512;             // Worker sessions at once (each holds a server thread).
  size_t max_queued_messages = 100'000;  // Per session (WorkerSession).
};

class SessionRegistry {
 public:
  // `random` draws session tokens and must outlive the registry.
  explicit SessionRegistry(Random* random, SessionLimits limits = {})
      : random_(random), limits_(limits) {}

  // A new session token for `worker_id` (128 random bits, hex); the previous one stops working.
  std::string IssueToken(const std::string& worker_id);
  // UNAUTHENTICATED unless `token` is the worker's current one; UNAVAILABLE after CloseAll.
  absl::Status CheckToken(const std::string& worker_id, const std::string& token) const;

  // Opens the worker's session with `first` queued before anything else can be, replacing (and
  // closing) its previous session. UNAVAILABLE after CloseAll; RESOURCE_EXHAUSTED when
  // limits.max_sessions other workers are connected.
  absl::StatusOr<std::shared_ptr<WorkerSession>> Open(const std::string& worker_id, int slots,
                                                      v1::SchedulerMessage first);
  // Closes `session`; true if it was its worker's current session (now there is none).
  bool Close(const std::shared_ptr<WorkerSession>& session);
  // Closes every session and refuses new ones (the scheduler is stopping).
  void CloseAll();

  // The current sessions, by worker id.
  std::vector<std::shared_ptr<WorkerSession>> Current() const;
  bool IsConnected(const std::string& worker_id) const;

  // Queues each order on its worker's session, numbered and stamped `issued_unix_ms`, under one
  // lock. Returns, per order, whether it was queued: a worker that is away gets none (on
  // reconnecting, a lease it lost is not valid any more).
  std::vector<bool> SendOrders(std::span<const TrialOrderFor> orders, int64_t issued_unix_ms);
  // Tells every connected worker that these trials ended for good (TrialsEnded), so that any
  // checkpoints it keeps of them can go. Nothing is sent for an empty list.
  void AnnounceEnded(std::span<const std::string> trial_ids);

 private:
  Random* const random_;
  const SessionLimits limits_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> tokens_ ABSL_GUARDED_BY(mu_);  // worker -> token
  std::map<std::string, std::shared_ptr<WorkerSession>> sessions_ ABSL_GUARDED_BY(mu_);
  int64_t next_session_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t next_order_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SESSION_REGISTRY_H_
