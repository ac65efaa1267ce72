// NCCL backend of GradientReducer for multi-GPU trials (one process per GPU). Compiled only when
// CUDA and NCCL are found (AUGUR_HAVE_NCCL); it cannot run on machines without GPUs.
#ifndef AUGUR_TRAINER_NCCL_REDUCER_H_
#define AUGUR_TRAINER_NCCL_REDUCER_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "trainer/data_parallel.h"

namespace augur::trainer {

// Rank 0 creates the NCCL unique id and publishes it atomically as `rendezvous_dir`/nccl_id;
// other ranks wait for it (up to `timeout`). `device` is the CUDA ordinal of this rank. The
// all-reduce runs on the legacy default stream and synchronizes it before returning, so it is
// ordered after the backward pass's kernels on that stream. Errors: UNAVAILABLE.
absl::StatusOr<std::unique_ptr<GradientReducer>> MakeNcclReducer(
    int rank, int world_size, int device, const std::string& rendezvous_dir,
    std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_NCCL_REDUCER_H_
