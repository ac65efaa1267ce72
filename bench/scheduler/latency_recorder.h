// What an in-process scheduler reports during a benchmark phase (SchedulerObserver), kept for
// the phase's figures: points committed, stop-order latencies and where decision rounds spent
// their time. Vectors keep their first 100,000 samples. Thread-safe.
#ifndef AUGUR_BENCH_SCHEDULER_LATENCY_RECORDER_H_
#define AUGUR_BENCH_SCHEDULER_LATENCY_RECORDER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/scheduler_observer.h"

namespace augur::bench {

class LatencyRecorder : public SchedulerObserver {
 public:
  struct Figures {
    int64_t points_committed = 0;
    std::vector<double> stop_ms;          // Trial reached the milestone -> order queued.
    std::vector<double> round_ms;         // Whole round.
    std::vector<double> wait_ms;          // Earliest milestone event -> round start.
    std::vector<double> before_round_ms;  // Per stop: reached -> start of its round.
    std::vector<double> policy_ms;        // Gather, summarize, decide.
    std::vector<double> commit_ms;        // The rounds' transaction.
  };

  void PointsCommitted(int64_t points) override {
    absl::MutexLock lock(&mu_);
    f_.points_committed += points;
  }
  void StopOrderQueued(absl::Duration since_reached) override {
    absl::MutexLock lock(&mu_);
    Add(f_.stop_ms, since_reached);
  }
  void RoundsCommitted(std::span<const RoundTiming> rounds, absl::Duration commit,
                       std::span<const absl::Duration> reached_to_round) override {
    absl::MutexLock lock(&mu_);
    for (const RoundTiming& r : rounds) {
      Add(f_.round_ms, r.total);
      Add(f_.wait_ms, r.waited);
      Add(f_.policy_ms, r.planned);
    }
    Add(f_.commit_ms, commit);
    for (absl::Duration d : reached_to_round) Add(f_.before_round_ms, d);
  }
  Figures figures() const {
    absl::MutexLock lock(&mu_);
    return f_;
  }

 private:
  static void Add(std::vector<double>& v, absl::Duration d) {
    if (v.size() < 100000) v.push_back(absl::ToDoubleMilliseconds(d));
  }
  mutable absl::Mutex mu_;
  Figures f_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur::bench

#endif  // AUGUR_BENCH_SCHEDULER_LATENCY_RECORDER_H_
