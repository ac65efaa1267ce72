// The SQLite row storage under SqliteStore (sqlite_store.h): the StoreBackend primitives as SQL
// over one connection. Internal to the scheduler's store; split by concept into
// sqlite_backend_trials.cc (sweep and trial rows) and sqlite_backend_rows.cc (points,
// checkpoints, decisions, workers, events), with transactions and opening in sqlite_store.cc.
//
// Thread safety: none (StoreBackend's rule: BackedStore calls it under its mutex).
#ifndef AUGUR_SCHEDULER_SQLITE_BACKEND_H_
#define AUGUR_SCHEDULER_SQLITE_BACKEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "scheduler/sqlite_db.h"
#include "scheduler/store_backend.h"

namespace augur {

using StmtPtr = std::unique_ptr<Statement>;

// DATA_LOSS naming `what` when a stored blob does not parse.
template <typename Proto>
absl::StatusOr<Proto> ParseBlob(const std::string& blob, const char* what) {
  Proto proto;
  if (!proto.ParseFromString(blob)) {
    return absl::DataLossError(absl::StrCat("cannot parse stored ", what));
  }
  return proto;
}

class SqliteBackend : public StoreBackend {
 public:
  explicit SqliteBackend(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  // IMMEDIATE takes the write lock up front, so a transaction never fails half-way with BUSY
  // when it upgrades from reading to writing.
  absl::Status Begin() override { return Run("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return Run("COMMIT"); }
  void Rollback() override;

  absl::StatusOr<int64_t> InsertSweep(const v1::Sweep& sweep) override;
  absl::StatusOr<std::optional<SweepRecord>> LoadSweep(absl::string_view sweep_id) override;
  absl::Status UpdateSweep(const v1::Sweep& sweep) override;
  absl::StatusOr<std::vector<SweepRecord>> LoadSweepsBefore(int64_t before_seq, int limit) override;

  absl::Status InsertTrial(const TrialRecord& r) override;
  absl::StatusOr<std::optional<TrialRecord>> LoadTrial(absl::string_view trial_id) override;
  absl::Status UpdateTrial(const TrialRecord& r) override;
  absl::StatusOr<std::vector<TrialRecord>> LoadTrials(absl::string_view sweep_id,
                                                      int64_t after_ordinal,
                                                      int64_t limit) override;
  absl::StatusOr<std::vector<TrialRecord>> LoadRankedTrials(absl::string_view sweep_id,
                                                            int64_t offset, int64_t limit) override;
  absl::StatusOr<std::vector<TrialRecord>> LoadTrialsInState(absl::string_view sweep_id,
                                                             v1::TrialState state) override;
  absl::StatusOr<int64_t> CountTrials(absl::string_view sweep_id) override;
  absl::StatusOr<TrialTotals> SumTrials(absl::string_view sweep_id) override;
  absl::StatusOr<bool> HasLiveTrials(absl::string_view sweep_id) override;
  absl::StatusOr<std::optional<std::string>> NextPendingTrial(int64_t max_gpus,
                                                              DeviceKind kind) override;
  absl::StatusOr<std::vector<std::string>> RunningTrials(absl::string_view worker_id,
                                                         int64_t expires_at_or_before) override;

  absl::StatusOr<std::optional<v1::LossPoint>> LoadPoint(absl::string_view trial_id,
                                                         int64_t step) override;
  absl::Status InsertPoint(absl::string_view trial_id, const v1::LossPoint& p) override;
  absl::StatusOr<std::vector<v1::LossPoint>> LoadPoints(absl::string_view trial_id,
                                                        int64_t from_step) override;
  absl::StatusOr<std::vector<v1::LossPoint>> LoadPointsHead(absl::string_view trial_id,
                                                            double up_to_fraction) override;
  absl::StatusOr<int64_t> MaxStep(absl::string_view trial_id) override;

  absl::Status UpsertCheckpoint(const v1::CheckpointCommit& c, int64_t committed_ms) override;
  absl::StatusOr<std::optional<v1::CheckpointCommit>> LatestCheckpoint(
      absl::string_view trial_id) override;

  absl::StatusOr<bool> InsertDecision(absl::string_view sweep_id, const v1::Decision& d) override;
  absl::StatusOr<std::vector<v1::Decision>> LoadDecisions(absl::string_view sweep_id,
                                                          int64_t offset, int64_t limit) override;
  absl::StatusOr<int64_t> CountDecisions(absl::string_view sweep_id) override;
  absl::StatusOr<std::vector<v1::Decision>> LoadTrialDecisions(absl::string_view trial_id) override;

  absl::StatusOr<int> DeleteSweepRows(absl::string_view sweep_id) override;

  absl::Status UpsertWorker(const v1::WorkerInfo& w) override;
  absl::StatusOr<std::vector<v1::WorkerInfo>> LoadWorkers() override;

  absl::StatusOr<int64_t> AppendEvent(const StoreEvent& e) override;
  absl::StatusOr<std::vector<StoreEvent>> LoadEvents(int64_t after_seq, int limit) override;

 private:
  absl::Status Run(const char* sql);
  // A query of one count with the sweep id as ?1.
  absl::StatusOr<int64_t> Count(const char* sql, absl::string_view sweep_id);
  static absl::StatusOr<std::vector<TrialRecord>> ReadTrials(Statement& s);
  // Binds ?first = state and the columns ?6.. ?17 shared by InsertTrial and UpdateTrial.
  static void BindTrialColumns(Statement& s, const TrialRecord& r, int first);

  // The last sweep summary SumTrials computed, with the connection's count of changed rows
  // (sqlite3_total_changes64) when it did: while no row has changed since, it is still the
  // answer. A listing's pages then share one summary instead of each scanning every trial's
  // index entry (docs/benchmarks.md, "Sweep size"). One sweep's, so memory stays flat; dropped
  // by Rollback (a rolled-back change does not lower the count).
  struct KeptTotals {
    std::string sweep_id;
    int64_t changes = 0;
    TrialTotals totals;
  };
  // The kept summary of `sweep_id` if it is still the answer, else null.
  const TrialTotals* KeptTotalsOf(absl::string_view sweep_id) const;
  std::optional<KeptTotals> kept_totals_;

  std::unique_ptr<SqliteDb> db_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SQLITE_BACKEND_H_
