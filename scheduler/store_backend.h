// Row-level storage primitives under BackedStore. A backend knows tables, keys and indexes;
// it knows no rules (fencing, state machine, divergence): those live once, in BackedStore, so
// that SqliteStore and MemoryStore behave identically.
//
// Thread safety: none. BackedStore calls a backend only under its own mutex, and every
// primitive except Begin only between Begin and Commit/Rollback.
#ifndef AUGUR_SCHEDULER_STORE_BACKEND_H_
#define AUGUR_SCHEDULER_STORE_BACKEND_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "augur/v1/sweep.pb.h"
#include "scheduler/store.h"

namespace augur {

struct SweepRecord {
  v1::Sweep sweep;  // As stored: computed summary fields (trial_counts, tokens_*) are unset.
  int64_t seq = 0;  // Insertion order, assigned by the backend; newer sweeps have larger seq.
};

struct TrialRecord {
  v1::Trial trial;                    // state, worker_id, last_point, ... are authoritative.
  int64_t ordinal = 0;                // Planning order within the sweep.
  int64_t fencing_token = 0;          // Token of the latest lease grant; 0 = never leased.
  int64_t lease_expires_unix_ms = 0;  // 0 unless RUNNING.
};

// A sweep's summary over its trials (the computed fields of Store::GetSweep).
struct TrialTotals {
  std::map<v1::TrialState, int64_t> counts;  // Trials by state (absent: none).
  int64_t tokens_spent = 0;                  // Sum of last_point.tokens over every trial.
  int64_t tokens_full = 0;  // Sum of PlannedTokens over the trials that are not references.
  int64_t tokens_left = 0;  // Sum of max(0, PlannedTokens - spent) over the live trials.
  // The ranking's first (ranking.h) among the non-reference trials with a finite RankingLoss:
  // a contender before a trial that ended early, then the lower loss, then planning order.
  std::string best_trial_id;
};

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  // Transactions. Rollback undoes every primitive since Begin and never fails.
  virtual absl::Status Begin() = 0;
  virtual absl::Status Commit() = 0;
  virtual void Rollback() = 0;

  // Sweeps. InsertSweep returns the new seq; ALREADY_EXISTS for a duplicate id.
  virtual absl::StatusOr<int64_t> InsertSweep(const v1::Sweep& sweep) = 0;
  virtual absl::StatusOr<std::optional<SweepRecord>> LoadSweep(absl::string_view sweep_id) = 0;
  virtual absl::Status UpdateSweep(const v1::Sweep& sweep) = 0;
  // Sweeps with seq < before_seq, seq descending, at most `limit`.
  virtual absl::StatusOr<std::vector<SweepRecord>> LoadSweepsBefore(int64_t before_seq,
                                                                    int limit) = 0;

  // Trials. InsertTrial: ALREADY_EXISTS for a duplicate id.
  virtual absl::Status InsertTrial(const TrialRecord& record) = 0;
  virtual absl::StatusOr<std::optional<TrialRecord>> LoadTrial(absl::string_view trial_id) = 0;
  virtual absl::Status UpdateTrial(const TrialRecord& record) = 0;
  // By ordinal, those with ordinal > after_ordinal, at most `limit` (< 0: all of them). Callers
  // that walk a whole sweep take pages, so that memory does not grow with the sweep.
  virtual absl::StatusOr<std::vector<TrialRecord>> LoadTrials(absl::string_view sweep_id,
                                                              int64_t after_ordinal,
                                                              int64_t limit) = 0;
  // In ranking order (RankTier, RankingLoss, ordinal: ranking.h), skipping `offset` rows, at
  // most `limit` (< 0: all). SQLite: an index walk, without parsing the skipped rows.
  virtual absl::StatusOr<std::vector<TrialRecord>> LoadRankedTrials(absl::string_view sweep_id,
                                                                    int64_t offset,
                                                                    int64_t limit) = 0;
  // The sweep's trials in `state`, by ordinal (RUNNING ones are as many as the workers' slots).
  virtual absl::StatusOr<std::vector<TrialRecord>> LoadTrialsInState(absl::string_view sweep_id,
                                                                     v1::TrialState state) = 0;
  virtual absl::StatusOr<int64_t> CountTrials(absl::string_view sweep_id) = 0;
  // SQLite: from columns and indexes, without parsing the trials' blobs.
  virtual absl::StatusOr<TrialTotals> SumTrials(absl::string_view sweep_id) = 0;
  // Whether any of the sweep's trials is not terminal (IsTerminal), without loading them:
  // SetState asks it on every terminal transition to see whether the sweep is done, so it
  // must not count them either (one index seek, however many trials are live).
  virtual absl::StatusOr<bool> HasLiveTrials(absl::string_view sweep_id) = 0;
  // The PENDING trial of a RUNNING sweep to lease next among those with GpuNeed <= max_gpus
  // that a worker of `kind` may take (kCpuOnly: NeedsGpu false): is_reference first, then sweep
  // seq, then ordinal. Called once per grant, so it must not sort every pending trial (SQLite:
  // an index walk, no temp B-tree).
  virtual absl::StatusOr<std::optional<std::string>> NextPendingTrial(int64_t max_gpus,
                                                                      DeviceKind kind) = 0;
  // Ids of RUNNING trials leased to `worker_id` (empty = any worker) whose lease expires at or
  // before `expires_at_or_before`, by trial id.
  virtual absl::StatusOr<std::vector<std::string>> RunningTrials(absl::string_view worker_id,
                                                                 int64_t expires_at_or_before) = 0;

  // Loss points, keyed by (trial_id, step).
  virtual absl::StatusOr<std::optional<v1::LossPoint>> LoadPoint(absl::string_view trial_id,
                                                                 int64_t step) = 0;
  virtual absl::Status InsertPoint(absl::string_view trial_id, const v1::LossPoint& point) = 0;
  virtual absl::StatusOr<std::vector<v1::LossPoint>> LoadPoints(absl::string_view trial_id,
                                                                int64_t from_step) = 0;
  // Store::ReadPointsHead's points.
  virtual absl::StatusOr<std::vector<v1::LossPoint>> LoadPointsHead(absl::string_view trial_id,
                                                                    double up_to_fraction) = 0;
  // 0 when the trial has no points.
  virtual absl::StatusOr<int64_t> MaxStep(absl::string_view trial_id) = 0;

  // Checkpoints, keyed by (trial_id, step); a second commit of a key replaces the first.
  virtual absl::Status UpsertCheckpoint(const v1::CheckpointCommit& commit,
                                        int64_t committed_unix_ms) = 0;
  virtual absl::StatusOr<std::optional<v1::CheckpointCommit>> LatestCheckpoint(
      absl::string_view trial_id) = 0;

  // Decisions, keyed by (trial_id, milestone_fraction). Returns false (and changes nothing)
  // when the key exists.
  virtual absl::StatusOr<bool> InsertDecision(absl::string_view sweep_id,
                                              const v1::Decision& decision) = 0;
  // Oldest (insertion order) first, skipping `offset`, at most `limit` (< 0: all).
  virtual absl::StatusOr<std::vector<v1::Decision>> LoadDecisions(absl::string_view sweep_id,
                                                                  int64_t offset,
                                                                  int64_t limit) = 0;
  virtual absl::StatusOr<int64_t> CountDecisions(absl::string_view sweep_id) = 0;
  // One trial's, oldest first. SQLite: the (trial_id, milestone_fraction) index.
  virtual absl::StatusOr<std::vector<v1::Decision>> LoadTrialDecisions(
      absl::string_view trial_id) = 0;

  // Removes the sweep and every row of its trials (points, checkpoint records, decisions,
  // the trials themselves); events stay. Returns how many trials were removed.
  virtual absl::StatusOr<int> DeleteSweepRows(absl::string_view sweep_id) = 0;

  // Workers, keyed by worker_id.
  virtual absl::Status UpsertWorker(const v1::WorkerInfo& worker) = 0;
  virtual absl::StatusOr<std::vector<v1::WorkerInfo>> LoadWorkers() = 0;

  // Event log. AppendEvent assigns and returns the seq (event.seq is ignored).
  virtual absl::StatusOr<int64_t> AppendEvent(const StoreEvent& event) = 0;
  virtual absl::StatusOr<std::vector<StoreEvent>> LoadEvents(int64_t after_seq, int limit) = 0;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_STORE_BACKEND_H_
