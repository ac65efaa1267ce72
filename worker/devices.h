// What a worker can offer to trials: its GPUs (found through the CUDA runtime when the worker
// is built with CUDA, each checked by a small kernel before it is offered) or, on a machine
// without usable GPUs, a number of CPU trial slots.
#ifndef AUGUR_WORKER_DEVICES_H_
#define AUGUR_WORKER_DEVICES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace augur {

struct GpuInfo {
  int index = 0;                  // CUDA device ordinal.
  std::string name;               // e.g. "NVIDIA H100 80GB HBM3".
  int64_t memory_bytes = 0;       // Total device memory.
  bool self_test_passed = false;  // A vector-add kernel ran and returned the right sums.
};

struct GpuProbe {
  bool built_with_cuda = false;  // Whether this binary can talk to CUDA at all.
  std::vector<GpuInfo> gpus;     // Devices found (those that failed self-test included).
  std::string note;              // Why no GPU was found, when none was (driver, no device).
};

// Asks the CUDA runtime for devices and self-tests each. Never fails: a machine without a
// driver or device yields an empty list and a note. Thread-compatible.
GpuProbe ProbeGpus();

struct DeviceOptions {
  int gpus = -1;              // GPUs to offer; -1 = every GPU that passed its self-test.
  int cpu_slots = 0;          // CPU trial slots when no GPU is offered; 0 = cores / threads.
  int threads_per_trial = 0;  // CPU threads each trial gets; 0 = all cores over slots.
};

struct DeviceInventory {
  std::vector<GpuInfo> gpus;  // GPUs offered to trials.
  int cpu_slots = 0;          // CPU trial slots (0 when GPUs are offered).
  int threads_per_trial = 0;  // Intra-op threads for a CPU trial.
  std::string description;    // For display: "2x NVIDIA A100" or "cpu: 2 cores, 1 slot".
};

// Combines the probe with the options. INVALID_ARGUMENT when asked for more GPUs than pass
// their self-test or for a negative count.
absl::StatusOr<DeviceInventory> DiscoverDevices(const DeviceOptions& options, const GpuProbe& probe,
                                                int cpu_cores);

}  // namespace augur

#endif  // AUGUR_WORKER_DEVICES_H_
