// A simulated worker for load generation: one gRPC session that takes leases and streams
// synthetic loss points (no training) as fast as the scheduler acknowledges them (or at a set
// rate), keeping at most `window_batches` unacknowledged batches per trial. It measures, with its
// own clock, the time from sending the batch whose last point crosses a milestone to receiving the
// stop order for that trial.
//
// Threads: Run() is the sending loop (one per worker); it starts one reader thread for the
// stream. RequestStop() may be called from any thread. stats() only after Run() returned.
#ifndef AUGUR_BENCH_SCHEDULER_SIM_WORKER_H_
#define AUGUR_BENCH_SCHEDULER_SIM_WORKER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/worker.grpc.pb.h"
#include "grpcpp/channel.h"

namespace augur::bench {

struct SimWorkerOptions {
  std::string worker_id;
  int slots = 1;                    // Concurrent trials this worker holds.
  int batch_points = 100;           // Points per LossPointBatch.
  int window_batches = 4;           // Unacknowledged batches allowed per trial.
  int64_t points_per_trial = 1000;  // Points spread evenly over a trial's total_steps.
  // Fractions at which the policy decides (the scheduler detects a crossing at m - 0.005).
  std::vector<double> milestones;
  absl::Duration heartbeat_interval = absl::Seconds(2);
  // Points per second this worker sends at most; 0: as fast as the scheduler acknowledges.
  double points_per_second = 0;
};

struct SimWorkerStats {
  int64_t points_sent = 0;
  int64_t points_acked = 0;  // Points in batches the scheduler acknowledged as durable.
  int64_t batches_acked = 0;
  int64_t leases = 0;
  int64_t total_steps = 0;  // Of the last lease.
  int64_t stop_orders = 0;
  int64_t completed = 0;  // Trials streamed to the end and reported COMPLETED.
  int64_t rejections = 0;
  std::string first_rejection;
  std::vector<double> ack_latency_ms;  // Batch sent -> PointsAck received (capped sample).
  std::string error;                   // Why the session ended early, if it did.
};

// When each milestone batch of a trial was sent and its stop order received, to match with the
// scheduler's recorded decisions (which name the milestone) after the run.
struct TrialTimeline {
  std::vector<absl::Time> crossed;  // Per milestone; InfinitePast if never crossed.
  absl::Time stopped = absl::InfinitePast();
};

class SimWorker {
 public:
  SimWorker(std::shared_ptr<grpc::Channel> channel, SimWorkerOptions options);
  ~SimWorker();

  // Registers, opens the session and streams until RequestStop() (or the stream breaks).
  void Run();
  void RequestStop();
  // Cheap snapshot for polling while Run() streams.
  struct Progress {
    int active_trials = 0;  // Leased and not yet acknowledged as ended.
    int64_t leases = 0;
    int64_t points_acked = 0;
    bool failed = false;  // The session ended early.
  };
  Progress progress() const;
  SimWorkerStats stats() const;
  // Every trial this worker held, by id. Only after Run() returned.
  std::map<std::string, TrialTimeline> timelines() const;

 private:
  struct Trial {
    std::string id;
    int64_t fencing = 0;
    int64_t total_steps = 1;
    int64_t stride = 1;
    int64_t next_step = 1;  // Next step to send.
    double quality = 0;     // In [0, 1): higher is worse.
    int inflight = 0;       // Unacknowledged batches.
    // sequence -> (points, send time), for unacknowledged batches.
    std::map<int64_t, std::pair<int, absl::Time>> unacked;
    size_t next_milestone = 0;
    bool stop_ordered = false;
    bool end_sent = false;
  };

  void ReaderLoop();
  void HandleMessage(const v1::SchedulerMessage& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A message to send, with the milestones its last point crosses (indices into
  // options_.milestones), which are stamped with the time it is written to the stream.
  struct Outgoing {
    v1::WorkerMessage msg;
    std::vector<size_t> crossed;
  };
  // Builds the next messages to send (at most one batch per trial per round).
  std::vector<Outgoing> NextMessages() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stamps what `m` starts the clock of (its ack latency, the milestones it crosses) with
  // `sent`, the time it was written.
  void Stamp(const Outgoing& m, absl::Time sent) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasWork() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  std::unique_ptr<v1::WorkerService::Stub> stub_;
  const SimWorkerOptions options_;
  std::atomic<bool> stop_{false};

  mutable absl::Mutex mu_;
  std::map<std::string, Trial> trials_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, TrialTimeline> timelines_ ABSL_GUARDED_BY(mu_);
  SimWorkerStats stats_ ABSL_GUARDED_BY(mu_);
  bool stream_done_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
};

// Synthetic training loss of a trial of the given quality at `fraction` of training; `step`
// adds a small deterministic wiggle. Worse quality is uniformly higher, so the median rule
// stops the worse trials at each milestone.
double SyntheticLoss(double quality, double fraction, int64_t step);

}  // namespace augur::bench

#endif  // AUGUR_BENCH_SCHEDULER_SIM_WORKER_H_
