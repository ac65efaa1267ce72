// One load phase of the scheduler benchmark: a fresh scheduler (in-process on 127.0.0.1:0
// with a new SQLite file, or an external one), one sweep of N x rounds trials under the median
// stopping rule, and K simulated workers holding N trials at a time between them.
#ifndef AUGUR_BENCH_SCHEDULER_LOAD_PHASE_H_
#define AUGUR_BENCH_SCHEDULER_LOAD_PHASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace augur::bench {

struct PhaseOptions {
  int concurrent_trials = 10;  // N: slots over all workers.
  int rounds = 3;              // The sweep has N x rounds trials.
  int workers = 10;            // K gRPC sessions (at most N).
  int batch_points = 100;
  int window_batches = 4;
  int64_t points_per_trial = 1000;
  std::vector<double> milestones = {0.1, 0.3, 0.5};
  bool stopping = true;          // false: POLICY_KIND_NONE (the write path alone, no decisions).
  double points_per_second = 0;  // Offered load over all workers; 0: as fast as acknowledged.
  absl::Duration max_duration = absl::Seconds(20);
  std::string external_address;  // Empty: start a scheduler in-process.
  std::string dir;               // Temp dir for the SQLite file.
};

struct PhaseResult {
  int trials = 0;
  int workers = 0;
  int64_t total_steps = 0;
  double seconds = 0;             // From the workers' start to the end of streaming.
  double lease_seconds = -1;      // Until the workers first held N trials.
  int max_active = 0;             // Most trials held at once.
  double steady_rate = 0;         // Points/s between 10% and 90% of the acknowledged points.
  int64_t points_acked = 0;       // Client side: points in acknowledged batches.
  int64_t points_committed = -1;  // Server side (in-process only), as the scheduler reports it.
  int64_t batches_acked = 0;
  int64_t stop_orders = 0;
  int64_t completed = 0;
  int64_t rejections = 0;
  std::string first_problem;  // First unexpected rejection or session error.
  // Client clock: the batch crossing the milestone named by the scheduler's STOP decision
  // sent -> the stop order received (decisions read back with GetSweep after the phase).
  std::vector<double> client_stop_ms;
  std::vector<double> ack_ms;                // Batch sent -> durable acknowledgement received.
  int64_t unmatched_stops = 0;               // Stop orders without a decision or crossing to match.
  std::vector<double> server_stop_ms;        // Scheduler's own: reached -> order queued.
  std::vector<double> decision_round_ms;     // Durations of its decision rounds.
  std::vector<double> round_wait_ms;         // Milestone arrival -> round start.
  std::vector<double> stop_before_round_ms;  // Per stop: reached -> start of its round.
  std::vector<double> round_policy_ms;       // Gather, summarize, decide.
  std::vector<double> round_commit_ms;       // The round's transaction.
  double cpu_seconds = 0;                    // User + system time of this process during the phase.
  double rss_mb = 0;                         // Resident set at the end of the phase.
  bool finished = false;                     // Every trial ended before max_duration.
};

absl::StatusOr<PhaseResult> RunPhase(const PhaseOptions& options);

// The q-quantile (0..1) of `v` by nearest rank; NaN for an empty vector.
double Quantile(std::vector<double> v, double q);

}  // namespace augur::bench

#endif  // AUGUR_BENCH_SCHEDULER_LOAD_PHASE_H_
