// BackedStore: the Store rules (state machine, leases and fencing, idempotent points,
// divergence, sweep summaries, events) written once over a StoreBackend of row primitives.
// SqliteStore and MemoryStore are BackedStores with different backends.
//
// Thread safety: every public method takes one mutex and runs in one backend transaction, so
// calls are serialized and atomic. The clock must outlive the store.
#ifndef AUGUR_SCHEDULER_BACKED_STORE_H_
#define AUGUR_SCHEDULER_BACKED_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "scheduler/store.h"
#include "scheduler/store_backend.h"

namespace augur {

class BackedStore : public Store {
 public:
  // `random` draws fencing tokens (nullptr: the operating system's); it must outlive the store.
  BackedStore(std::unique_ptr<StoreBackend> backend, const Clock& clock, Random* random = nullptr);

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
  // Runs `body` in one backend transaction under mu_; commits if it returns OK.
  absl::Status Run(absl::FunctionRef<absl::Status(StoreBackend&)> body);
  template <typename T>
  absl::StatusOr<T> RunFor(absl::FunctionRef<absl::StatusOr<T>(StoreBackend&)> body);

  // Helpers below run inside a transaction.
  absl::StatusOr<TrialRecord> MustLoadTrial(StoreBackend& db, absl::string_view trial_id);
  absl::StatusOr<SweepRecord> MustLoadSweep(StoreBackend& db, absl::string_view sweep_id);
  absl::StatusOr<v1::Sweep> Summarize(StoreBackend& db, const SweepRecord& record);
  // Calls `fn` on each of the sweep's trials in planning order, reading them in pages so that
  // memory does not grow with the sweep. `fn` may update the trial it is given.
  absl::Status ForEachTrial(StoreBackend& db, absl::string_view sweep_id,
                            absl::FunctionRef<absl::Status(TrialRecord&)> fn);
  // Moves the record to `to` (ending the lease when leaving RUNNING), writes it, logs it and
  // marks the sweep DONE when its last trial became terminal. No legality check.
  absl::Status SetState(StoreBackend& db, TrialRecord& record, v1::TrialState to,
                        absl::string_view message);
  // Leases `record` (PENDING) to `worker_id`: new token, expiry, attempts, event.
  absl::StatusOr<LeaseGrant> Grant(StoreBackend& db, TrialRecord& record,
                                   absl::string_view worker_id, absl::Duration ttl);
  absl::Status Log(StoreBackend& db, absl::string_view kind, absl::string_view sweep_id,
                   absl::string_view trial_id, std::string detail);
  // Per-item bodies of ApplyBatch. A returned error is a storage error (abort the batch);
  // rule violations go into the item's status.
  absl::Status ApplyPoints(StoreBackend& db, const PointWrite& write, PointWriteResult& out);
  absl::Status ApplyCheckpoint(StoreBackend& db, const CheckpointWrite& write, absl::Status& out);
  absl::Status ApplyPrediction(StoreBackend& db, const PredictionWrite& write, absl::Status& out);
  absl::Status ApplyDecision(StoreBackend& db, const v1::Decision& decision, absl::Status& out);
  absl::Status ApplyTransition(StoreBackend& db, const TrialTransition& transition,
                               TransitionResult& out);
  absl::Status ApplyLeaseEnd(StoreBackend& db, const LeaseEnd& end, LeaseEndResult& out);

  const Clock& clock_;
  Random* const random_;
  absl::Mutex mu_;
  std::unique_ptr<StoreBackend> backend_ ABSL_GUARDED_BY(mu_);
};

template <typename T>
inline absl::StatusOr<T> BackedStore::RunFor(
    absl::FunctionRef<absl::StatusOr<T>(StoreBackend&)> body) {
  std::optional<T> out;
  RETURN_IF_ERROR(Run([&](StoreBackend& db) -> absl::Status {
    absl::StatusOr<T> result = body(db);
    if (!result.ok()) return result.status();
    out = std::move(result).value();
    return absl::OkStatus();
  }));
  return std::move(*out);
}

// FAILED_PRECONDITION unless `record` is RUNNING under `fencing_token` with an unexpired lease.
// `worker_id` empty: the holder is not checked (the store's own callers).
absl::Status CheckLease(const TrialRecord& record, int64_t fencing_token, int64_t now_unix_ms,
                        absl::string_view worker_id = "");
// INVALID_ARGUMENT unless a lease may end in `final_state` (not RUNNING, CANCELLED or unset).
absl::Status CheckLeaseEndState(v1::TrialState final_state);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_BACKED_STORE_H_
