#include "scheduler/waiting_reason.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace augur {

std::string WaitingReason(const v1::Sweep& sweep, const std::vector<v1::WorkerInfo>& workers) {
  const v1::Resources& wants = sweep.spec().resources();
  if (sweep.state() != v1::Sweep::STATE_RUNNING || wants.gpus() <= 0 || wants.allow_cpu()) {
    return "";
  }
  const auto pending = sweep.trial_counts().find(v1::TrialState_Name(v1::TRIAL_STATE_PENDING));
  if (pending == sweep.trial_counts().end() || pending->second <= 0) return "";
  int connected = 0;
  int most_gpus = 0;
  for (const v1::WorkerInfo& w : workers) {
    if (!w.connected()) continue;
    ++connected;
    most_gpus = std::max(most_gpus, w.gpus());
  }
  if (most_gpus >= wants.gpus()) return "";
  const std::string need = absl::StrCat("waiting for a worker with ", wants.gpus(),
                                        wants.gpus() == 1 ? " GPU" : " GPUs");
  if (connected == 0) return absl::StrCat(need, "; no worker is connected");
  if (most_gpus == 0) return absl::StrCat(need, "; connected workers have none");
  return absl::StrCat(need, "; connected workers have at most ", most_gpus);
}

}  // namespace augur
