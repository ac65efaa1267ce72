// Which of a trial's checkpoint files may be deleted. The trainer writes one immutable file per
// step (`DIR/step-%010d.ckpt`); the store resumes the trial from the last one the scheduler
// committed, which may be far behind the newest while the scheduler is away. The worker writes
// that step into `DIR/committed` (WriteCommittedStep) when the lease starts (its resume point)
// and whenever the scheduler acknowledges a commit; pruning then keeps the committed checkpoint
// and every newer one, and deletes only older ones beyond the newest `keep`. Without the file
// (augur-train run by hand) only the newest `keep` are kept.
#ifndef AUGUR_COMMON_CHECKPOINT_RETENTION_H_
#define AUGUR_COMMON_CHECKPOINT_RETENTION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace augur {

// The file in a checkpoint folder that names the committed step.
inline constexpr char kCommittedCheckpointFile[] = "committed";

// Atomically (write and rename) records `step` as the committed one in `dir` (created if
// missing). UNAVAILABLE when the folder cannot be written.
absl::Status WriteCommittedStep(const std::string& dir, int64_t step);
// The step in `dir`'s committed file; nullopt when there is none or it does not parse.
std::optional<int64_t> ReadCommittedStep(const std::string& dir);

// Deletes the step-*.ckpt files of `dir` that are older than the committed step and not among
// the `keep` newest. Returns how many it deleted. Never fails (a file it cannot delete stays).
int PruneCheckpoints(const std::string& dir, int keep);

}  // namespace augur

#endif  // AUGUR_COMMON_CHECKPOINT_RETENTION_H_
