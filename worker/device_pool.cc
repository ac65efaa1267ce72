#include "worker/device_pool.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace augur {

DevicePool::DevicePool(std::vector<int> devices) : all_(std::move(devices)) {
  std::sort(all_.begin(), all_.end());
  all_.erase(std::unique(all_.begin(), all_.end()), all_.end());
}

absl::StatusOr<std::vector<int>> DevicePool::Acquire(const std::string& holder, int count) {
  if (count < 1) return absl::InvalidArgumentError(absl::StrCat("cannot take ", count, " devices"));
  if (by_holder_.count(holder) > 0) {
    return absl::InvalidArgumentError(absl::StrCat(holder, " already holds devices"));
  }
  if (count > free()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "needs ", count, " device", count == 1 ? "" : "s", ", ", free(), " of ", total(), " free"));
  }
  std::vector<int> taken;
  for (int d : all_) {
    if (static_cast<int>(taken.size()) == count) break;
    if (owner_.count(d) == 0) taken.push_back(d);
  }
  for (int d : taken) owner_[d] = holder;
  held_count_ += count;
  by_holder_[holder] = taken;
  return taken;
}

void DevicePool::Release(const std::string& holder) {
  auto it = by_holder_.find(holder);
  if (it == by_holder_.end()) return;
  for (int d : it->second) owner_.erase(d);
  held_count_ -= static_cast<int>(it->second.size());
  by_holder_.erase(it);
}

std::vector<int> DevicePool::HeldBy(const std::string& holder) const {
  auto it = by_holder_.find(holder);
  return it == by_holder_.end() ? std::vector<int>{} : it->second;
}

}  // namespace augur
