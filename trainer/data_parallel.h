// Data parallelism inside one trial: every rank computes gradients on its slice of the global
// batch, then the ranks average their flat gradient buffers. This is the one interface the
// training loop sees; backends:
//   - single process (no communication),
//   - Gloo over TCP between CPU processes or threads (rendezvous through a shared directory),
//   - NCCL between GPUs (nccl_reducer.h; built only when CUDA and NCCL are found).
// No LibTorch. A reducer is used by one thread at a time.
#ifndef AUGUR_TRAINER_DATA_PARALLEL_H_
#define AUGUR_TRAINER_DATA_PARALLEL_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace augur::trainer {

class GradientReducer {
 public:
  virtual ~GradientReducer() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Replaces data[0, count) on every rank with the element-wise mean over ranks. `data` is in
  // host memory for CPU backends and device memory for NCCL. Blocks until done. Errors:
  // UNAVAILABLE (a peer went away or timed out).
  virtual absl::Status AllReduceMean(float* data, int64_t count) = 0;
};

// world_size 1, no communication.
std::unique_ptr<GradientReducer> MakeSingleProcessReducer();

// Connects `world_size` Gloo ranks that share the directory `rendezvous_dir` (a FileStore:
// must be empty of a previous run's keys, e.g. a fresh temp dir) over loopback/`hostname` TCP.
// Blocks until all ranks joined or `timeout` passed (UNAVAILABLE).
absl::StatusOr<std::unique_ptr<GradientReducer>> MakeGlooReducer(
    int rank, int world_size, const std::string& rendezvous_dir,
    std::chrono::milliseconds timeout = std::chrono::seconds(60),
    const std::string& hostname = "127.0.0.1");

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_DATA_PARALLEL_H_
