// Trainer checkpoints: everything needed to continue a trial exactly as if never interrupted.
//
// Format (version 1, little-endian): magic "AUGURCKP", uint32 version, then the fields of
// CheckpointState in order (strings and arrays length-prefixed with int64), then an FNV-1a
// 64-bit checksum of all preceding bytes. Written atomically (atomic_file.h).
//
// RNG state: every random number of a run is counter-based (rng.h): initialization is a
// function of `seed`, training batches of (data_seed, step, index), validation sequences are
// fixed. So (seed, data_seed, step) is the whole RNG state, and `step` is the data position.
// No LibTorch.
#ifndef AUGUR_TRAINER_CHECKPOINT_H_
#define AUGUR_TRAINER_CHECKPOINT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace augur::trainer {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

struct CheckpointState {
  std::string fingerprint;  // Of the trial config (TrialFingerprint); must match on resume.
  int64_t step = 0;         // Optimizer updates done; the next batch is step `step`.
  int64_t tokens = 0;       // Training tokens consumed.
  uint64_t seed = 0;
  uint64_t data_seed = 0;
  double last_val_loss = 0;   // NaN when none yet.
  std::vector<float> params;  // Flat, param_layout.h order.
  std::vector<float> adam_m;
  std::vector<float> adam_v;
};

// Borrowed view for writing without copying the buffers.
struct CheckpointView {
  const std::string* fingerprint;
  int64_t step, tokens;
  uint64_t seed, data_seed;
  double last_val_loss;
  std::span<const float> params, adam_m, adam_v;
};

absl::Status WriteCheckpoint(const std::string& path, const CheckpointView& view);

// Errors: NOT_FOUND, DATA_LOSS (truncated or checksum mismatch), FAILED_PRECONDITION (other
// format version).
absl::StatusOr<CheckpointState> ReadCheckpoint(const std::string& path);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_CHECKPOINT_H_
