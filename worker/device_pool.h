// Which of a worker's devices each running trial holds. A trial asking for k GPUs runs k
// data-parallel ranks, one per device, so two trials must never share one: the daemon takes a
// trial's devices here before starting it and gives them back only once every rank has exited.
// Devices are GPU ordinals (CUDA device numbers that passed the self-test) on a GPU worker and
// CPU slot numbers 0..slots-1 on a CPU worker; the pool does not care which.
#ifndef AUGUR_WORKER_DEVICE_POOL_H_
#define AUGUR_WORKER_DEVICE_POOL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace augur {

// Thread-compatible: the daemon calls it under its own mutex.
class DevicePool {
 public:
  // `devices` are the indices offered (duplicates are ignored).
  explicit DevicePool(std::vector<int> devices);

  // Gives `holder` the `count` lowest free devices, ascending. RESOURCE_EXHAUSTED (and nothing
  // taken) when fewer are free; INVALID_ARGUMENT for count < 1 or a holder that already holds
  // devices. Never overcommits.
  absl::StatusOr<std::vector<int>> Acquire(const std::string& holder, int count);
  // Returns whatever `holder` holds; a no-op for an unknown holder.
  void Release(const std::string& holder);

  int total() const { return static_cast<int>(all_.size()); }
  int free() const { return total() - held_count_; }
  // The devices `holder` holds (empty if none).
  std::vector<int> HeldBy(const std::string& holder) const;

 private:
  std::vector<int> all_;              // Ascending.
  std::map<int, std::string> owner_;  // Device -> holder, for held devices only.
  std::map<std::string, std::vector<int>> by_holder_;
  int held_count_ = 0;
};

}  // namespace augur

#endif  // AUGUR_WORKER_DEVICE_POOL_H_
