// A sweep's planned trials handed out in bounded batches, so that neither the planner nor the
// store ever holds every trial of a large sweep at once (a planned trial is ~1.2 KB; a
// 100,000-trial sweep planned whole was 120 MB of the scheduler's peak).
//
// The planner's stream (StreamSweep, planner.h) builds each trial when it is asked for it;
// Store::CreateSweep pulls batches and writes them as they come. Not thread-safe.
#ifndef AUGUR_SCHEDULER_TRIAL_STREAM_H_
#define AUGUR_SCHEDULER_TRIAL_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "augur/v1/sweep.pb.h"

namespace augur {

// What the size guard (sweep_limits.h) checks, known before any trial is built.
struct PlannedSize {
  int64_t trials = 0;
  int64_t longest_steps = 0;  // controls.total_steps of the longest trial.
  int64_t full_tokens = 0;    // Tokens if every trial ran to the end; saturates at INT64_MAX.

  // Counts one trial of `steps` steps of `batch_tokens` tokens each.
  void Add(int64_t steps, int64_t batch_tokens) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    ++trials;
    longest_steps = steps > longest_steps ? steps : longest_steps;
    int64_t full = 0;
    if (steps > 0 && batch_tokens > 0)
      full = steps > kMax / batch_tokens ? kMax : steps * batch_tokens;
    full_tokens = full_tokens > kMax - full ? kMax : full_tokens + full;
  }
};

class TrialStream {
 public:
  virtual ~TrialStream() = default;
  // The whole plan's size, known before the first Next.
  virtual const PlannedSize& size() const = 0;
  // Replaces `batch` with the next trials in planning order, at most `max` (>= 1) of them; leaves
  // it empty once every trial was handed out. An error leaves the stream unusable.
  virtual absl::Status Next(size_t max, std::vector<v1::Trial>& batch) = 0;
};

// The size of trials planned already (PlannedSize::Add over their controls).
PlannedSize SizeOf(const std::vector<v1::Trial>& trials);
// A stream over trials planned already (tests, small sweeps).
std::unique_ptr<TrialStream> StreamOf(std::vector<v1::Trial> trials);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_TRIAL_STREAM_H_
