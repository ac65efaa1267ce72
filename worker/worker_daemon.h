// The worker daemon: registers with the scheduler, keeps one WorkerService.Session open, runs
// the trials it is leased (through a TrialRunner), streams their points through a bounded
// PointBuffer, obeys stop and pause orders, and reconnects with exponential backoff whenever
// the scheduler is away. Trials keep running while it is away; their points wait in the buffer
// and are resent, and the scheduler's SessionAccepted says which leases are still valid.
// Each trial holds max(1, resources.gpus) devices of its own (worker/device_pool.h) from its
// start until its last process has exited; a lease that does not fit is handed back (TrialEnded
// PENDING), never overcommitted.
//
// Self-fencing: the scheduler answers each heartbeat with the leases it renewed (LeasesRenewed).
// A trial the worker started before that heartbeat and that is not listed has moved to another
// worker, and a worker that has heard no renewal for most of the lease timeout (FenceAfter)
// must assume its leases are being handed elsewhere: either way it stops the trial's trainer
// (it checkpoints on SIGTERM) and reports it PENDING if it can, so that a trial never runs
// twice at once, also across a network cut or a scheduler outage longer than the lease.
#ifndef AUGUR_WORKER_WORKER_DAEMON_H_
#define AUGUR_WORKER_WORKER_DAEMON_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/worker.grpc.pb.h"
#include "common/clock.h"
#include "grpcpp/channel.h"
#include "worker/device_pool.h"
#include "worker/point_buffer.h"
#include "worker/trial_runner.h"

namespace augur {

struct WorkerOptions {
  std::string worker_id;           // Stable id; re-registering replaces the old record.
  std::string hostname;            // For display.
  int gpus = 0;                    // GPUs offered (each trial asks for a number of them).
  std::vector<int> gpu_devices;    // Their CUDA ordinals, `gpus` of them; empty = 0..gpus-1.
  int cpu_slots = 1;               // CPU trials at once when gpus == 0.
  std::string device;              // Description for display.
  size_t buffer_points = 200'000;  // PointBuffer capacity.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration flush_interval = absl::Milliseconds(10);  // Longest a point waits to be sent.
  absl::Duration shutdown_grace = absl::Seconds(30);       // Pause trials, flush, then leave.
  // Heartbeats, the flush tick, reconnect backoff and the shutdown grace run on this clock; it
  // also stamps each loss point's wall_time_unix_ms when the trainer reports it.
  const Clock* clock = &RealClock();
};

// How long after the last renewal the worker heard of it stops its trials: three quarters of
// the lease timeout, less the 2 s a trainer may take to exit, so that every trainer is gone
// before the scheduler can expire the lease (never less than a quarter of the timeout).
absl::Duration FenceAfter(absl::Duration lease_timeout);
// How long a fenced trial may take to end before it is killed: min(2 s, lease_timeout / 4),
// never more than lease_timeout - FenceAfter(lease_timeout).
absl::Duration FenceExitTime(absl::Duration lease_timeout);

// Thread-safe. Run() blocks; Shutdown() may be called from any thread (or a signal watcher).
class WorkerDaemon {
 public:
  WorkerDaemon(WorkerOptions options, std::shared_ptr<grpc::Channel> channel, TrialRunner* runner);
  ~WorkerDaemon();

  // Serves until Shutdown(). On shutdown, running trials are paused (checkpointed) and their
  // ends reported if the scheduler is reachable within `shutdown_grace`.
  void Run();
  void Shutdown();

  // For status displays and tests.
  int sessions_opened() const;
  int running_trials() const;

 private:
  struct Slot {
    int64_t fencing_token = 0;
    std::unique_ptr<RunningTrial> trial;
    int64_t last_step = 0;
    std::optional<v1::CheckpointCommit> checkpoint;
    std::optional<v1::TrialEnded> ended;  // Set once the trial has ended; kept until acked.
    absl::Time started_at = absl::InfinitePast();  // When the lease arrived (worker clock).
    bool fenced = false;        // Stopped because the lease may have moved: ends as PENDING.
    std::string refused;        // The scheduler refused its points as malformed: ends as FAILED.
    bool ordered_stop = false;  // The scheduler stopped it: its end is still reported.
  };

  // One session: hello, then reader thread + writer loop until the stream breaks.
  void RunSession(const v1::RegisterWorkerResponse& reg);
  void HandleMessage(const v1::SchedulerMessage& msg) ABSL_LOCKS_EXCLUDED(mu_);
  void StartTrial(const v1::Lease& lease) ABSL_LOCKS_EXCLUDED(mu_);
  void ForgetTrial(const std::string& trial_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Enqueue(v1::WorkerMessage msg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int FreeSlots() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SleepUnlessShutdown(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the trial because its lease may belong to another worker now (self-fencing).
  void Fence(Slot& slot, const std::string& trial_id, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fences every running trial once no renewal was heard for FenceAfter(lease timeout); returns
  // how long until that happens (InfiniteDuration when nothing runs or no timeout is known).
  absl::Duration FenceIfUnrenewed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A LeasesRenewed: moves the renewal time on, fences the trials it no longer lists.
  void TakeRenewal(const v1::LeasesRenewed& renewed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands a lease back unstarted, so the scheduler requeues its trial.
  void RefuseLease(const v1::Lease& lease, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WorkerOptions options_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  TrialRunner* const runner_;
  PointBuffer buffer_;

  mutable absl::Mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  bool accepted_ ABSL_GUARDED_BY(mu_) = false;  // Current session got SessionAccepted.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;    // Current session's stream ended.
  int sessions_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration lease_timeout_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();  // 0 = unknown.
  // Send time of the latest hello or heartbeat the scheduler answered with a renewal.
  absl::Time renewed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time hello_sent_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The scheduler answers heartbeats with LeasesRenewed (one older than that never does, and
  // is not fenced against: its renewals cannot be seen).
  bool renewals_seen_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Slot> slots_ ABSL_GUARDED_BY(mu_);
  // Held by trials that still run, also ones no longer in slots_ (stopped, not yet exited).
  DevicePool devices_ ABSL_GUARDED_BY(mu_);
  int64_t starts_ ABSL_GUARDED_BY(mu_) = 0;  // Makes each start's device holder unique.
  std::deque<v1::WorkerMessage> outbox_ ABSL_GUARDED_BY(mu_);
  // Trials that ended or were dropped, destroyed by the writer outside any callback (a
  // RunningTrial may join the very thread that reported its end).
  std::vector<std::unique_ptr<RunningTrial>> graveyard_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur

#endif  // AUGUR_WORKER_WORKER_DAEMON_H_
