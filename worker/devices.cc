#include "worker/devices.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace augur {

absl::StatusOr<DeviceInventory> DiscoverDevices(const DeviceOptions& options, const GpuProbe& probe,
                                                int cpu_cores) {
  if (options.cpu_slots < 0 || options.threads_per_trial < 0 || options.gpus < -1) {
    return absl::InvalidArgumentError("device counts must not be negative");
  }
  std::vector<GpuInfo> healthy;
  for (const GpuInfo& g : probe.gpus) {
    if (g.self_test_passed) healthy.push_back(g);
  }
  DeviceInventory inv;
  if (options.gpus > static_cast<int>(healthy.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "asked for ", options.gpus, " GPUs but ", healthy.size(), " passed the self-test",
        probe.note.empty() ? "" : absl::StrCat(" (", probe.note, ")")));
  }
  const int want_gpus = options.gpus < 0 ? static_cast<int>(healthy.size()) : options.gpus;
  if (want_gpus > 0) {
    inv.gpus.assign(healthy.begin(), healthy.begin() + want_gpus);
    inv.description = absl::StrCat(want_gpus, "x ", inv.gpus.front().name);
    return inv;
  }
  cpu_cores = std::max(1, cpu_cores);
  if (options.cpu_slots > 0) {
    inv.cpu_slots = options.cpu_slots;
  } else if (options.threads_per_trial > 0) {
    inv.cpu_slots = std::max(1, cpu_cores / options.threads_per_trial);
  } else {
    inv.cpu_slots = 1;
  }
  inv.threads_per_trial = options.threads_per_trial > 0 ? options.threads_per_trial
                                                        : std::max(1, cpu_cores / inv.cpu_slots);
  inv.description = absl::StrCat("cpu: ", cpu_cores, " cores, ", inv.cpu_slots, " slot",
                                 inv.cpu_slots == 1 ? "" : "s", " x ", inv.threads_per_trial,
                                 " thread", inv.threads_per_trial == 1 ? "" : "s");
  return inv;
}

}  // namespace augur
