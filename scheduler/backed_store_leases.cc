// BackedStore's lease operations: grant, renew, expire, inspect and end leases.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/backed_store.h"

namespace augur {
namespace {

using v1::TrialState;

constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

LeaseInfo InfoOf(const TrialRecord& r) {
  LeaseInfo info;
  info.trial_id = r.trial.trial_id();
  info.worker_id = r.trial.worker_id();
  info.fencing_token = r.fencing_token;
  info.expires_unix_ms = r.lease_expires_unix_ms;
  return info;
}

}  // namespace

absl::StatusOr<LeaseGrant> BackedStore::Grant(StoreBackend& db, TrialRecord& record,
                                              absl::string_view worker_id, absl::Duration ttl) {
  const int64_t now = clock_.NowUnixMs();
  // Larger than every earlier token of the trial, never reused, and unguessable: 48 random bits
  // on top of the increment, so that no other worker can write under a lease it does not hold.
  record.fencing_token += 1 + static_cast<int64_t>(random_->Next() >> 16);
  record.lease_expires_unix_ms = now + absl::ToInt64Milliseconds(ttl);
  record.trial.set_state(v1::TRIAL_STATE_RUNNING);
  record.trial.set_state_changed_unix_ms(now);
  record.trial.set_worker_id(std::string(worker_id));
  record.trial.set_attempts(record.trial.attempts() + 1);
  RETURN_IF_ERROR(db.UpdateTrial(record));
  LeaseGrant grant;
  grant.lease.set_trial_id(record.trial.trial_id());
  grant.lease.set_fencing_token(record.fencing_token);
  *grant.lease.mutable_config() = record.trial.config();
  grant.lease.set_expires_unix_ms(record.lease_expires_unix_ms);
  ASSIGN_OR_RETURN(std::optional<v1::CheckpointCommit> checkpoint,
                   db.LatestCheckpoint(record.trial.trial_id()));
  if (checkpoint) *grant.lease.mutable_resume_from() = *checkpoint;
  RETURN_IF_ERROR(Log(
      db, "lease_granted", record.trial.sweep_id(), record.trial.trial_id(),
      absl::StrCat("worker ", worker_id, " token ", record.fencing_token, " gpus ",
                   GpuNeed(record.trial), " resume_step ", checkpoint ? checkpoint->step() : 0)));
  grant.trial = std::move(record.trial);
  return grant;
}

absl::StatusOr<int> BackedStore::HeadPendingNeed(DeviceKind kind) {
  return RunFor<int>([&](StoreBackend& db) -> absl::StatusOr<int> {
    ASSIGN_OR_RETURN(std::optional<std::string> head,
                     db.NextPendingTrial(std::numeric_limits<int64_t>::max(), kind));
    if (!head) return 0;
    ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, *head));
    return GpuNeed(record.trial);
  });
}

absl::StatusOr<std::vector<LeaseGrant>> BackedStore::AcquireLeases(absl::string_view worker_id,
                                                                   absl::Duration ttl,
                                                                   int free_slots, int max_leases,
                                                                   DeviceKind kind) {
  if (worker_id.empty()) return absl::InvalidArgumentError("worker_id is empty");
  if (ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("lease ttl must be > 0");
  using Grants = std::vector<LeaseGrant>;
  if (free_slots < 1 || max_leases < 1) return Grants();
  return RunFor<Grants>([&](StoreBackend& db) -> absl::StatusOr<Grants> {
    Grants grants;
    int64_t left = free_slots;
    // Asking for the first trial that fits what is left, after each grant, is the greedy rule
    // of the contract: a trial skipped once (need > left) stays skipped as `left` only shrinks.
    while (static_cast<int>(grants.size()) < max_leases && left >= 1) {
      ASSIGN_OR_RETURN(std::optional<std::string> next, db.NextPendingTrial(left, kind));
      if (!next) break;
      ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, *next));
      left -= GpuNeed(record.trial);
      ASSIGN_OR_RETURN(LeaseGrant grant, Grant(db, record, worker_id, ttl));
      grants.push_back(std::move(grant));
    }
    return grants;
  });
}

absl::StatusOr<std::vector<LeaseInfo>> BackedStore::RenewLeases(absl::string_view worker_id,
                                                                absl::Duration ttl) {
  if (worker_id.empty()) return absl::InvalidArgumentError("worker_id is empty");
  if (ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("lease ttl must be > 0");
  using Leases = std::vector<LeaseInfo>;
  return RunFor<Leases>([&](StoreBackend& db) -> absl::StatusOr<Leases> {
    const int64_t now = clock_.NowUnixMs();
    ASSIGN_OR_RETURN(std::vector<std::string> ids, db.RunningTrials(worker_id, kForever));
    Leases renewed;
    for (const std::string& id : ids) {
      ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, id));
      if (record.lease_expires_unix_ms <= now) continue;  // Expired: only ExpireLeases acts.
      record.lease_expires_unix_ms = now + absl::ToInt64Milliseconds(ttl);
      RETURN_IF_ERROR(db.UpdateTrial(record));
      renewed.push_back(InfoOf(record));
    }
    return renewed;
  });
}

absl::StatusOr<std::vector<LeaseInfo>> BackedStore::ExpireLeases() {
  using Leases = std::vector<LeaseInfo>;
  return RunFor<Leases>([&](StoreBackend& db) -> absl::StatusOr<Leases> {
    ASSIGN_OR_RETURN(std::vector<std::string> ids, db.RunningTrials("", clock_.NowUnixMs()));
    Leases expired;
    for (const std::string& id : ids) {
      ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, id));
      expired.push_back(InfoOf(record));
      RETURN_IF_ERROR(
          SetState(db, record, v1::TRIAL_STATE_PENDING,
                   absl::StrCat("lease of worker ", expired.back().worker_id, " expired")));
    }
    return expired;
  });
}

absl::StatusOr<LeaseInfo> BackedStore::GetLease(absl::string_view trial_id) {
  return RunFor<LeaseInfo>([&](StoreBackend& db) -> absl::StatusOr<LeaseInfo> {
    ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, trial_id));
    return InfoOf(record);
  });
}

absl::StatusOr<v1::Trial> BackedStore::EndLease(absl::string_view trial_id, int64_t fencing_token,
                                                TrialState final_state, absl::string_view message) {
  RETURN_IF_ERROR(CheckLeaseEndState(final_state));
  return RunFor<v1::Trial>([&](StoreBackend& db) -> absl::StatusOr<v1::Trial> {
    ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, trial_id));
    RETURN_IF_ERROR(CheckLease(record, fencing_token, clock_.NowUnixMs()));
    RETURN_IF_ERROR(SetState(db, record, final_state, message));
    return std::move(record.trial);
  });
}

}  // namespace augur
