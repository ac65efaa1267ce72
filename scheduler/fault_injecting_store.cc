#include "scheduler/fault_injecting_store.h"

#include <utility>

#include "common/status_macros.h"

namespace augur {

void FaultInjectingStore::FailCall(int n, absl::Status status) {
  absl::MutexLock lock(&mu_);
  faults_.push_back(Fault{"", calls_ + n, 0, std::move(status)});
}

void FaultInjectingStore::FailOperation(std::string operation, absl::Status status, int times) {
  if (times == 0) return;
  absl::MutexLock lock(&mu_);
  faults_.push_back(Fault{std::move(operation), 0, times, std::move(status)});
}

void FaultInjectingStore::Clear() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
}

int FaultInjectingStore::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

std::vector<std::string> FaultInjectingStore::failed_operations() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

absl::Status FaultInjectingStore::Check(const char* operation) {
  absl::MutexLock lock(&mu_);
  const int call = ++calls_;
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    const bool match = it->operation.empty() ? it->call == call : it->operation == operation;
    if (!match) continue;
    absl::Status status = it->status;
    if (it->operation.empty() || (it->times > 0 && --it->times == 0)) faults_.erase(it);
    failed_.emplace_back(operation);
    return status;
  }
  return absl::OkStatus();
}

absl::Status FaultInjectingStore::CreateSweep(const v1::Sweep& sweep, TrialStream& trials) {
  RETURN_IF_ERROR(Check("CreateSweep"));
  return inner_->CreateSweep(sweep, trials);
}
absl::StatusOr<v1::Sweep> FaultInjectingStore::GetSweep(absl::string_view sweep_id) {
  RETURN_IF_ERROR(Check("GetSweep"));
  return inner_->GetSweep(sweep_id);
}
absl::StatusOr<SweepPage> FaultInjectingStore::ListSweeps(int page_size,
                                                          absl::string_view page_token) {
  RETURN_IF_ERROR(Check("ListSweeps"));
  return inner_->ListSweeps(page_size, page_token);
}
absl::StatusOr<v1::Sweep> FaultInjectingStore::CancelSweep(absl::string_view sweep_id,
                                                           absl::string_view reason) {
  RETURN_IF_ERROR(Check("CancelSweep"));
  return inner_->CancelSweep(sweep_id, reason);
}
absl::StatusOr<int> FaultInjectingStore::DeleteSweep(absl::string_view sweep_id,
                                                     absl::string_view who) {
  RETURN_IF_ERROR(Check("DeleteSweep"));
  return inner_->DeleteSweep(sweep_id, who);
}

absl::StatusOr<v1::Sweep> FaultInjectingStore::AnnotateSweep(
    absl::string_view sweep_id, const std::vector<std::string>& add_tags,
    const std::vector<std::string>& remove_tags, const std::optional<std::string>& note,
    absl::string_view who) {
  RETURN_IF_ERROR(Check("AnnotateSweep"));
  return inner_->AnnotateSweep(sweep_id, add_tags, remove_tags, note, who);
}

absl::StatusOr<v1::Trial> FaultInjectingStore::GetTrial(absl::string_view trial_id) {
  RETURN_IF_ERROR(Check("GetTrial"));
  return inner_->GetTrial(trial_id);
}
absl::StatusOr<std::vector<v1::Trial>> FaultInjectingStore::ListTrials(absl::string_view sweep_id) {
  RETURN_IF_ERROR(Check("ListTrials"));
  return inner_->ListTrials(sweep_id);
}
absl::StatusOr<TrialPage> FaultInjectingStore::ListTrialsPage(absl::string_view sweep_id,
                                                              int page_size,
                                                              absl::string_view page_token) {
  RETURN_IF_ERROR(Check("ListTrialsPage"));
  return inner_->ListTrialsPage(sweep_id, page_size, page_token);
}
absl::StatusOr<RankingPage> FaultInjectingStore::ReadRanking(absl::string_view sweep_id,
                                                             const SweepSlice& slice) {
  RETURN_IF_ERROR(Check("ReadRanking"));
  return inner_->ReadRanking(sweep_id, slice);
}
absl::StatusOr<v1::Trial> FaultInjectingStore::TransitionTrial(absl::string_view trial_id,
                                                               v1::TrialState from,
                                                               v1::TrialState to,
                                                               absl::string_view message) {
  RETURN_IF_ERROR(Check("TransitionTrial"));
  return inner_->TransitionTrial(trial_id, from, to, message);
}
absl::StatusOr<v1::Trial> FaultInjectingStore::PauseTrial(absl::string_view trial_id,
                                                          absl::string_view reason) {
  RETURN_IF_ERROR(Check("PauseTrial"));
  return inner_->PauseTrial(trial_id, reason);
}
absl::StatusOr<v1::Trial> FaultInjectingStore::ResumeTrial(absl::string_view trial_id,
                                                           absl::string_view reason) {
  RETURN_IF_ERROR(Check("ResumeTrial"));
  return inner_->ResumeTrial(trial_id, reason);
}
absl::StatusOr<int> FaultInjectingStore::HeadPendingNeed(DeviceKind kind) {
  RETURN_IF_ERROR(Check("HeadPendingNeed"));
  return inner_->HeadPendingNeed(kind);
}
absl::StatusOr<std::vector<LeaseGrant>> FaultInjectingStore::AcquireLeases(
    absl::string_view worker_id, absl::Duration ttl, int free_slots, int max_leases,
    DeviceKind kind) {
  RETURN_IF_ERROR(Check("AcquireLeases"));
  return inner_->AcquireLeases(worker_id, ttl, free_slots, max_leases, kind);
}
absl::StatusOr<std::vector<LeaseInfo>> FaultInjectingStore::RenewLeases(absl::string_view worker_id,
                                                                        absl::Duration ttl) {
  RETURN_IF_ERROR(Check("RenewLeases"));
  return inner_->RenewLeases(worker_id, ttl);
}
absl::StatusOr<std::vector<LeaseInfo>> FaultInjectingStore::ExpireLeases() {
  RETURN_IF_ERROR(Check("ExpireLeases"));
  return inner_->ExpireLeases();
}
absl::StatusOr<LeaseInfo> FaultInjectingStore::GetLease(absl::string_view trial_id) {
  RETURN_IF_ERROR(Check("GetLease"));
  return inner_->GetLease(trial_id);
}
absl::StatusOr<v1::Trial> FaultInjectingStore::EndLease(absl::string_view trial_id,
                                                        int64_t fencing_token,
                                                        v1::TrialState final_state,
                                                        absl::string_view message) {
  RETURN_IF_ERROR(Check("EndLease"));
  return inner_->EndLease(trial_id, fencing_token, final_state, message);
}
absl::StatusOr<WriteBatchResult> FaultInjectingStore::ApplyBatch(const WriteBatch& batch) {
  RETURN_IF_ERROR(Check("ApplyBatch"));
  return inner_->ApplyBatch(batch);
}
absl::StatusOr<std::vector<v1::LossPoint>> FaultInjectingStore::ReadPoints(
    absl::string_view trial_id, int64_t from_step) {
  RETURN_IF_ERROR(Check("ReadPoints"));
  return inner_->ReadPoints(trial_id, from_step);
}
absl::StatusOr<std::vector<v1::LossPoint>> FaultInjectingStore::ReadPointsHead(
    absl::string_view trial_id, double up_to_fraction) {
  RETURN_IF_ERROR(Check("ReadPointsHead"));
  return inner_->ReadPointsHead(trial_id, up_to_fraction);
}
absl::StatusOr<std::optional<v1::CheckpointCommit>> FaultInjectingStore::LatestCheckpoint(
    absl::string_view trial_id) {
  RETURN_IF_ERROR(Check("LatestCheckpoint"));
  return inner_->LatestCheckpoint(trial_id);
}
absl::StatusOr<std::vector<v1::Decision>> FaultInjectingStore::ListDecisions(
    absl::string_view sweep_id) {
  RETURN_IF_ERROR(Check("ListDecisions"));
  return inner_->ListDecisions(sweep_id);
}
absl::StatusOr<std::vector<v1::Decision>> FaultInjectingStore::ListTrialDecisions(
    absl::string_view trial_id) {
  RETURN_IF_ERROR(Check("ListTrialDecisions"));
  return inner_->ListTrialDecisions(trial_id);
}
absl::Status FaultInjectingStore::UpsertWorker(const v1::WorkerInfo& worker) {
  RETURN_IF_ERROR(Check("UpsertWorker"));
  return inner_->UpsertWorker(worker);
}
absl::StatusOr<std::vector<v1::WorkerInfo>> FaultInjectingStore::ListWorkers() {
  RETURN_IF_ERROR(Check("ListWorkers"));
  return inner_->ListWorkers();
}
absl::StatusOr<int64_t> FaultInjectingStore::AppendEvent(const StoreEvent& event) {
  RETURN_IF_ERROR(Check("AppendEvent"));
  return inner_->AppendEvent(event);
}
absl::StatusOr<std::vector<StoreEvent>> FaultInjectingStore::ReadEvents(int64_t after_seq,
                                                                        int limit) {
  RETURN_IF_ERROR(Check("ReadEvents"));
  return inner_->ReadEvents(after_seq, limit);
}

}  // namespace augur
