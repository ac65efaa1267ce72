// FaultInjectingStore: wraps a Store and fails chosen calls with a chosen status, before they
// reach the wrapped store (so a failed call changes nothing, as a real storage failure would).
//
//   FaultInjectingStore store(&memory);
//   store.FailCall(3, absl::UnavailableError("disk"));       // the 3rd call from now
//   store.FailOperation("ApplyBatch", absl::InternalError("io"), /*times=*/2);
//
// Operation names are the Store method names ("AcquireLeases", "ApplyBatch", ...). The
// one-item helpers AppendPoints/CommitCheckpoint/RecordDecision go through "ApplyBatch", and
// AcquireLease through "AcquireLeases".
// Thread-safe; the wrapped store must outlive the wrapper.
#ifndef AUGUR_SCHEDULER_FAULT_INJECTING_STORE_H_
#define AUGUR_SCHEDULER_FAULT_INJECTING_STORE_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/store.h"

namespace augur {

class FaultInjectingStore : public Store {
 public:
  explicit FaultInjectingStore(Store* inner) : inner_(inner) {}

  // The n-th call (1-based) counted from now, of any operation, fails with `status`.
  void FailCall(int n, absl::Status status);
  // The next `times` calls of `operation` fail with `status` (times < 0: every call).
  void FailOperation(std::string operation, absl::Status status, int times = 1);
  // Removes every pending fault.
  void Clear();
  // Calls seen so far (failed ones included), and the operations that were failed, in order.
  int calls() const;
  std::vector<std::string> failed_operations() const;

  using Store::CreateSweep;  // And the overload over a vector.
  absl::Status CreateSweep(const v1::Sweep& sweep, TrialStream& trials) override;
  absl::StatusOr<v1::Sweep> GetSweep(absl::string_view sweep_id) override;
  absl::StatusOr<SweepPage> ListSweeps(int page_size, absl::string_view page_token) override;
  absl::StatusOr<v1::Sweep> CancelSweep(absl::string_view sweep_id,
                                        absl::string_view reason) override;
  absl::StatusOr<int> DeleteSweep(absl::string_view sweep_id, absl::string_view who) override;
  absl::StatusOr<v1::Sweep> AnnotateSweep(absl::string_view sweep_id,
                                          const std::vector<std::string>& add_tags,
                                          const std::vector<std::string>& remove_tags,
                                          const std::optional<std::string>& note,
                                          absl::string_view who) override;
  absl::StatusOr<v1::Trial> GetTrial(absl::string_view trial_id) override;
  absl::StatusOr<std::vector<v1::Trial>> ListTrials(absl::string_view sweep_id) override;
  absl::StatusOr<TrialPage> ListTrialsPage(absl::string_view sweep_id, int page_size,
                                           absl::string_view page_token) override;
  absl::StatusOr<RankingPage> ReadRanking(absl::string_view sweep_id,
                                          const SweepSlice& slice) override;
  absl::StatusOr<v1::Trial> TransitionTrial(absl::string_view trial_id, v1::TrialState from,
                                            v1::TrialState to, absl::string_view message) override;
  absl::StatusOr<v1::Trial> PauseTrial(absl::string_view trial_id,
                                       absl::string_view reason) override;
  absl::StatusOr<v1::Trial> ResumeTrial(absl::string_view trial_id,
                                        absl::string_view reason) override;
  using Store::AcquireLeases;  // And the overloads below.
  using Store::HeadPendingNeed;
  absl::StatusOr<int> HeadPendingNeed(DeviceKind kind) override;
  absl::StatusOr<std::vector<LeaseGrant>> AcquireLeases(absl::string_view worker_id,
                                                        absl::Duration ttl, int free_slots,
                                                        int max_leases, DeviceKind kind) override;
  absl::StatusOr<std::vector<LeaseInfo>> RenewLeases(absl::string_view worker_id,
                                                     absl::Duration ttl) override;
  absl::StatusOr<std::vector<LeaseInfo>> ExpireLeases() override;
  absl::StatusOr<LeaseInfo> GetLease(absl::string_view trial_id) override;
  absl::StatusOr<v1::Trial> EndLease(absl::string_view trial_id, int64_t fencing_token,
                                     v1::TrialState final_state,
                                     absl::string_view message) override;
  absl::StatusOr<WriteBatchResult> ApplyBatch(const WriteBatch& batch) override;
  absl::StatusOr<std::vector<v1::LossPoint>> ReadPoints(absl::string_view trial_id,
                                                        int64_t from_step) override;
  absl::StatusOr<std::vector<v1::LossPoint>> ReadPointsHead(absl::string_view trial_id,
                                                            double up_to_fraction) override;
  absl::StatusOr<std::optional<v1::CheckpointCommit>> LatestCheckpoint(
      absl::string_view trial_id) override;
  absl::StatusOr<std::vector<v1::Decision>> ListDecisions(absl::string_view sweep_id) override;
  absl::StatusOr<std::vector<v1::Decision>> ListTrialDecisions(absl::string_view trial_id) override;
  absl::Status UpsertWorker(const v1::WorkerInfo& worker) override;
  absl::StatusOr<std::vector<v1::WorkerInfo>> ListWorkers() override;
  absl::StatusOr<int64_t> AppendEvent(const StoreEvent& event) override;
  absl::StatusOr<std::vector<StoreEvent>> ReadEvents(int64_t after_seq, int limit) override;

 private:
  struct Fault {
    std::string operation;  // Empty: matched by call number.
    int call = 0;           // Absolute call number when `operation` is empty.
    int times = 0;          // Remaining failures when `operation` is set (< 0: forever).
    absl::Status status;
  };
  // Counts the call and returns the status it must fail with, or OK.
  absl::Status Check(const char* operation);

  Store* const inner_;
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Fault> faults_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_FAULT_INJECTING_STORE_H_
