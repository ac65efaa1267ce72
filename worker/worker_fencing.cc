// WorkerDaemon's self-fencing (worker_daemon.h): a trial whose lease may have moved to another
// worker is stopped here, before the scheduler can start it elsewhere.
#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "worker/worker_daemon.h"

namespace augur {

absl::Duration FenceExitTime(absl::Duration lease_timeout) {
  return std::min(absl::Seconds(2), lease_timeout / 4);
}

absl::Duration FenceAfter(absl::Duration lease_timeout) {
  return std::max(lease_timeout / 4, lease_timeout * 3 / 4 - FenceExitTime(lease_timeout));
}

void WorkerDaemon::Fence(Slot& slot, const std::string& trial_id, const std::string& why) {
  if (slot.fenced || slot.ended || !slot.trial) return;
  slot.fenced = true;
  Log(LogLevel::kWarning, "lease_fenced",
      {{"worker", options_.worker_id},
       {"trial", trial_id},
       {"fencing_token", absl::StrCat(slot.fencing_token)}},
      absl::StrCat("stopping the trial so that it never runs twice: ", why));
  // Its points and the end stay queued: if the lease is still ours after all, the scheduler
  // takes them and requeues the trial; if not, they are refused and the slot forgotten.
  // Killed if not gone within the exit time, which is never more than the time left before the
  // lease can expire at the scheduler (lease_timeout - FenceAfter >= FenceExitTime). With a
  // fixed 2 s grace, a trainer slow to checkpoint on a loaded machine ran into the next
  // worker's lease: 1.5 s were left on a 3 s lease (seen once in Outage.AWorkerCutOff...).
  slot.trial->StopWithin(FenceExitTime(lease_timeout_));
}

absl::Duration WorkerDaemon::FenceIfUnrenewed() {
  if (!renewals_seen_ || lease_timeout_ <= absl::ZeroDuration() || slots_.empty()) {
    return absl::InfiniteDuration();
  }
  const absl::Time deadline = renewed_at_ + FenceAfter(lease_timeout_);
  const absl::Time now = options_.clock->Now();
  if (now < deadline) return deadline - now;
  for (auto& [id, slot] : slots_) {
    Fence(slot, id,
          absl::StrCat("no lease renewal heard for ", absl::FormatDuration(now - renewed_at_),
                       " (lease timeout ", absl::FormatDuration(lease_timeout_), ")"));
  }
  return absl::InfiniteDuration();
}

void WorkerDaemon::TakeRenewal(const v1::LeasesRenewed& renewed) {
  const absl::Time sent = absl::FromUnixMillis(renewed.sent_unix_ms());
  renewed_at_ = std::max(renewed_at_, sent);
  renewals_seen_ = true;
  std::set<std::pair<std::string, int64_t>> live;
  for (const v1::HeldLease& h : renewed.leases()) live.insert({h.trial_id(), h.fencing_token()});
  for (auto& [id, slot] : slots_) {
    // A lease that arrived after the heartbeat was sent may have been granted after the
    // renewal: only older ones must be listed.
    if (slot.started_at >= sent || live.count({id, slot.fencing_token})) continue;
    Fence(slot, id, "the scheduler did not renew its lease (it expired or moved)");
  }
}

}  // namespace augur
