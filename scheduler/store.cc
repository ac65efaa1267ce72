#include "scheduler/store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/status_macros.h"

namespace augur {

using v1::TrialState;

absl::StatusOr<PointWriteResult> Store::AppendPoints(PointWrite write) {
  WriteBatch batch;
  batch.points.push_back(std::move(write));
  ASSIGN_OR_RETURN(WriteBatchResult result, ApplyBatch(batch));
  if (!result.points.at(0).status.ok()) return result.points[0].status;
  return result.points[0];
}

absl::Status Store::CommitCheckpoint(const v1::CheckpointCommit& commit) {
  WriteBatch batch;
  batch.checkpoints.push_back(commit);
  ASSIGN_OR_RETURN(WriteBatchResult result, ApplyBatch(batch));
  return result.checkpoints.at(0);
}

absl::Status Store::RecordDecision(const v1::Decision& decision) {
  WriteBatch batch;
  batch.decisions.push_back(decision);
  ASSIGN_OR_RETURN(WriteBatchResult result, ApplyBatch(batch));
  return result.decisions.at(0);
}

absl::StatusOr<std::optional<LeaseGrant>> Store::AcquireLease(absl::string_view worker_id,
                                                              absl::Duration ttl) {
  ASSIGN_OR_RETURN(std::vector<LeaseGrant> grants,
                   AcquireLeases(worker_id, ttl, std::numeric_limits<int>::max(), 1));
  if (grants.empty()) return std::optional<LeaseGrant>();
  return std::optional<LeaseGrant>(std::move(grants[0]));
}

int GpuNeed(const v1::Trial& trial) { return std::max(1, trial.config().resources().gpus()); }

bool IsTerminal(TrialState state) {
  switch (state) {
    case v1::TRIAL_STATE_COMPLETED:
    case v1::TRIAL_STATE_STOPPED:
    case v1::TRIAL_STATE_DIVERGED:
    case v1::TRIAL_STATE_FAILED:
    case v1::TRIAL_STATE_CANCELLED:
      return true;
    default:
      return false;
  }
}

bool IsLegalTransition(TrialState from, TrialState to) {
  if (from == to || to == v1::TRIAL_STATE_UNSPECIFIED) return false;
  switch (from) {
    case v1::TRIAL_STATE_PENDING:
      // A pending trial may be paused, stopped by a policy, failed or cancelled; it becomes
      // RUNNING only through a lease.
      return to == v1::TRIAL_STATE_RUNNING || to == v1::TRIAL_STATE_PAUSED ||
             to == v1::TRIAL_STATE_STOPPED || to == v1::TRIAL_STATE_FAILED ||
             to == v1::TRIAL_STATE_CANCELLED;
    case v1::TRIAL_STATE_RUNNING:
      return true;  // Every other state: lease lost/ended, paused, or any ending.
    case v1::TRIAL_STATE_PAUSED:
      return to == v1::TRIAL_STATE_PENDING || to == v1::TRIAL_STATE_STOPPED ||
             to == v1::TRIAL_STATE_FAILED || to == v1::TRIAL_STATE_CANCELLED;
    case v1::TRIAL_STATE_WAITING:
      // Released by its group's decision (PENDING or STOPPED), or paused, failed or cancelled.
      return to == v1::TRIAL_STATE_PENDING || to == v1::TRIAL_STATE_STOPPED ||
             to == v1::TRIAL_STATE_PAUSED || to == v1::TRIAL_STATE_FAILED ||
             to == v1::TRIAL_STATE_CANCELLED;
    default:
      return false;  // Terminal and UNSPECIFIED states have no way out.
  }
}

}  // namespace augur
