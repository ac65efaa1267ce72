// The scheduler's durable state: sweeps, trials, leases, loss points, checkpoints, decisions,
// workers and an append-only event log (docs/store.md describes the schema and contracts).
//
// Backends: SqliteStore (the real one, sqlite_store.h), MemoryStore (a fake with identical
// semantics, memory_store.h) and FaultInjectingStore (a wrapper for tests). Both real backends
// share the rules below through BackedStore (backed_store.h), so they cannot drift apart.
//
// Contracts every backend keeps:
// - Every method is atomic: it applies entirely or not at all. When it returns OK, the change
//   is durable (for SqliteStore: it survives kill -9 of the process).
// - Time comes from the injected Clock; nothing sleeps.
// - Error codes: NOT_FOUND for an unknown sweep/trial; FAILED_PRECONDITION for a state that
//   does not allow the call (illegal transition, stale fencing token, expired lease, terminal
//   trial); INVALID_ARGUMENT for malformed input; ALREADY_EXISTS for a duplicate id;
//   UNAVAILABLE / INTERNAL for storage failures (nothing applied).
// - Thread safety: every method may be called from any thread; calls are serialized.
#ifndef AUGUR_SCHEDULER_STORE_H_
#define AUGUR_SCHEDULER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "augur/v1/common.pb.h"
#include "augur/v1/sweep.pb.h"
#include "augur/v1/trial.pb.h"
#include "augur/v1/worker.pb.h"
#include "scheduler/trial_stream.h"

namespace augur {

// A lease as the store holds it. A trial has at most one live lease; `fencing_token` grows with
// every grant by one plus 48 random bits (from the store's Random): never reused for that
// trial, and not guessable by a worker that was not granted it.
struct LeaseInfo {
  std::string trial_id;
  std::string worker_id;        // Empty when the trial is not RUNNING.
  int64_t fencing_token = 0;    // Token of the latest grant (0 = never leased).
  int64_t expires_unix_ms = 0;  // 0 when not RUNNING.
};

// What AcquireLease hands out: the lease message for the worker and the trial after the grant.
struct LeaseGrant {
  v1::Lease lease;  // trial_id, fencing_token, config, resume_from (if a checkpoint exists),
                    // expires_unix_ms.
  v1::Trial trial;  // State RUNNING, worker_id set, attempts incremented.
};

// Loss points of one trial, written under the fencing token of its lease.
struct PointWrite {
  PointWrite() = default;
  PointWrite(std::string trial, int64_t token, std::vector<v1::LossPoint> p,
             std::string worker = "")
      : trial_id(std::move(trial)),
        fencing_token(token),
        points(std::move(p)),
        worker_id(std::move(worker)) {}
  std::string trial_id;
  int64_t fencing_token = 0;
  std::vector<v1::LossPoint> points;  // Any order; see CheckPoint for what a point may hold.
  // The worker whose session sent it; when set, the lease must be this worker's (a token alone
  // does not make a writer the lease holder). Empty: not checked (the store's own callers).
  std::string worker_id;
};

// A checkpoint commit under a lease, with the session's worker as for PointWrite. The path must
// be `.../<trial dir>/checkpoints/step-<step, 10 digits>.ckpt`, where <trial dir> is the trial
// id with '/' replaced by '_' (the worker's layout), with no "." or ".." component: the store
// hands it to trainers as a file to read, so it must not name an arbitrary file.
struct CheckpointWrite {
  CheckpointWrite(v1::CheckpointCommit c, std::string worker = "")  // NOLINT: implicit.
      : commit(std::move(c)), worker_id(std::move(worker)) {}
  v1::CheckpointCommit commit;
  std::string worker_id;
};

// Loss points are accepted under the fencing token of the trial's live lease (RUNNING,
// unexpired), and also, for a trial in STOPPED, under the token of its last lease: the
// stopping policy decides on points as they arrive, so points in flight when it stopped the
// trial (and the worker's re-sends of them after a failure) still become durable. Every
// other terminal state, and any other token, refuses them.
//
// Outcome of one PointWrite.
//
// Points are keyed by (trial_id, step). A point whose key exists with the same train_loss and
// val_loss is a duplicate (idempotent re-send, nothing changes). A point whose key exists with
// different values is a conflict: the first value wins, the new one is ignored and counted, and
// a "points_conflict" event is logged. A non-finite train_loss or val_loss ends the trial as
// DIVERGED: the finite points before it (by step) are stored, it and later points are not, the
// lease ends, and `diverged` is set — all in the same transaction.
struct PointWriteResult {
  absl::Status status;       // NOT_FOUND, FAILED_PRECONDITION (stale token, not RUNNING,
                             // lease expired, another worker's lease) or INVALID_ARGUMENT (a
                             // point CheckPoint refuses); if not OK, nothing of this write was
                             // applied.
  int64_t durable_step = 0;  // Highest step stored for the trial after this write.
  int32_t inserted = 0;
  int32_t duplicates = 0;
  int32_t conflicts = 0;
  bool diverged = false;
};

// A state change applied in a batch, after points, checkpoints and decisions: the trial
// moves from its current state to `to` when that edge is legal and the trial is not
// terminal; RUNNING cannot be entered this way; leaving RUNNING ends the lease.
struct TrialTransition {
  std::string trial_id;
  v1::TrialState to = v1::TRIAL_STATE_UNSPECIFIED;
  std::string message;  // Becomes Trial.message (unchanged if empty).
};

struct TransitionResult {
  absl::Status status;  // NOT_FOUND, FAILED_PRECONDITION (terminal / illegal edge / RUNNING).
  v1::Trial trial;      // After the change (when OK).
  v1::TrialState from = v1::TRIAL_STATE_UNSPECIFIED;  // State before (when found).
  std::string worker_id;      // Lease holder before the change ("" if none).
  int64_t fencing_token = 0;  // Fencing token of that lease (0 if none).
};

// A worker ended its lease (TrialEnded), as Store::EndLease but inside a WriteBatch.
struct LeaseEnd {
  LeaseEnd() = default;
  LeaseEnd(std::string trial, int64_t token, v1::TrialState state, std::string why,
           std::string worker = "")
      : trial_id(std::move(trial)),
        fencing_token(token),
        final_state(state),
        message(std::move(why)),
        worker_id(std::move(worker)) {}
  std::string trial_id;
  int64_t fencing_token = 0;
  v1::TrialState final_state = v1::TRIAL_STATE_UNSPECIFIED;
  std::string message;
  std::string worker_id;  // As PointWrite::worker_id.
};

struct LeaseEndResult {
  absl::Status status;  // As Store::EndLease's (NOT_FOUND, FAILED_PRECONDITION, ...).
  v1::Trial trial;      // After the change (when OK); as it is when refused (unless NOT_FOUND).
};

// Writes grouped into one transaction (the scheduler's writer batches many trials' traffic).
// Applied in this order: points, checkpoints, decisions, transitions, lease ends (so a trial's
// points in the batch are stored before its lease ends). Each item succeeds or fails on its own
// (see the per-item statuses); the items that succeed commit together.
// A prediction published without a decision: a trial of a synchronous sweep waiting at a
// milestone for the rest of its group gets its predicted final there at once, so that the
// ranking shows it (a trial that reaches a milestone first can wait for hours).
struct PredictionWrite {
  std::string trial_id;
  v1::Prediction prediction;  // at_fraction = the milestone.
};

struct WriteBatch {
  std::vector<PointWrite> points;
  // Checkpoints written by workers, under their fencing token. The trial's checkpoint_step
  // becomes the largest committed step; a re-commit of the same step replaces its record.
  std::vector<CheckpointWrite> checkpoints;
  // Applied before the decisions: each becomes the trial's prediction (and ranks it) unless the
  // trial has ended or has a decision at or past its milestone, whose prediction stands
  // (FAILED_PRECONDITION). No decision is recorded: the milestone stays to be decided.
  std::vector<PredictionWrite> predictions;
  // Decisions of the stopping policy (no fencing). Keyed by (trial_id, milestone_fraction):
  // recording a second decision for the same key fails with ALREADY_EXISTS and keeps the first.
  // A decision becomes the trial's last_decision (and its prediction the trial's prediction).
  std::vector<v1::Decision> decisions;
  // State changes, applied in order (a later item sees an earlier one's effect), with the
  // logging and sweep-DONE rule of TransitionTrial but without its expected `from`: one
  // decision round (decisions and the STOP transitions they cause) is one transaction.
  std::vector<TrialTransition> transitions;
  std::vector<LeaseEnd> lease_ends;
};

struct WriteBatchResult {
  std::vector<PointWriteResult> points;       // One per WriteBatch::points, same order.
  std::vector<absl::Status> checkpoints;      // One per WriteBatch::checkpoints.
  std::vector<absl::Status> predictions;      // One per WriteBatch::predictions.
  std::vector<absl::Status> decisions;        // One per WriteBatch::decisions.
  std::vector<TransitionResult> transitions;  // One per WriteBatch::transitions.
  std::vector<LeaseEndResult> lease_ends;     // One per WriteBatch::lease_ends.
};

// Trials per batch that Store::CreateSweep pulls from its stream.
inline constexpr size_t kCreateSweepBatch = 1000;

// One entry of the append-only event log.
struct StoreEvent {
  int64_t seq = 0;       // Assigned by the store, strictly increasing.
  int64_t unix_ms = 0;   // Store clock.
  std::string kind;      // e.g. "sweep_created", "trial_state", "lease_granted".
  std::string sweep_id;  // May be empty.
  std::string trial_id;  // May be empty.
  std::string detail;    // Human-readable.
};

struct SweepPage {
  std::vector<v1::Sweep> sweeps;  // Newest first.
  std::string next_page_token;    // Empty at the end.
};

// What a worker trains on, as it reported at registration (RegisterWorkerRequest.gpus).
enum class DeviceKind {
  kGpu,      // One or more GPUs: any trial.
  kCpuOnly,  // No GPU: only trials that may train on CPU (NeedsGpu false).
};

// Which rows of a sweep a ranking read returns: the ranking from `first_trial`, the decisions
// from `first_decision`; max_* < 0 means all of them.
struct SweepSlice {
  int64_t first_trial = 0;
  int64_t max_trials = -1;
  int64_t first_decision = 0;
  int64_t max_decisions = -1;
};

// One slice of a sweep's ranking and decisions, read in one transaction. Memory is the slice's
// rows (and the running trials'), whatever the size of the sweep.
struct RankingPage {
  v1::Sweep sweep;                      // As GetSweep returns it.
  int64_t total_trials = 0;             // In the sweep.
  std::vector<v1::Trial> trials;        // Ranks first_trial + 1, ... in ranking.h's order.
  int64_t total_decisions = 0;          // In the sweep.
  std::vector<v1::Decision> decisions;  // Oldest first, from first_decision.
  std::vector<v1::Trial> running;       // Every RUNNING trial of the sweep, in planning order.
};

struct TrialPage {
  std::vector<v1::Trial> trials;  // Planning order.
  std::string next_page_token;    // Empty at the end.
};

class Store {
 public:
  virtual ~Store() = default;

  // --- Sweeps ---
  // Stores `sweep` (state RUNNING, created now) with its planned trials in one transaction,
  // pulled from `trials` in batches of kCreateSweepBatch and written as they come: memory
  // holds one batch, whatever the size of the sweep, and a failure at any trial (or of the
  // stream) leaves nothing behind. Trials must belong to the sweep, have non-empty ids and
  // state PENDING; their order is their planning order. INVALID_ARGUMENT for a sweep without
  // trials or a trial that breaks those rules; ALREADY_EXISTS if the sweep or a trial id exists
  // (also for an id the stream repeats).
  virtual absl::Status CreateSweep(const v1::Sweep& sweep, TrialStream& trials) = 0;
  // The same over trials planned already; an id repeated among them is INVALID_ARGUMENT.
  absl::Status CreateSweep(const v1::Sweep& sweep, const std::vector<v1::Trial>& trials);
  // The sweep with trial_counts (by TrialState name), tokens_spent and tokens_full filled in.
  virtual absl::StatusOr<v1::Sweep> GetSweep(absl::string_view sweep_id) = 0;
  // Newest first; page_size <= 0 means 100. `page_token` comes from a previous page.
  virtual absl::StatusOr<SweepPage> ListSweeps(int page_size, absl::string_view page_token) = 0;
  // Cancels every non-terminal trial (ending any lease) and marks the sweep CANCELLED.
  virtual absl::StatusOr<v1::Sweep> CancelSweep(absl::string_view sweep_id,
                                                absl::string_view reason) = 0;
  // Deletes a sweep that is not RUNNING with its trials, points, checkpoint records and
  // decisions, logging "sweep_deleted" with `who` (the event log keeps its history).
  // FAILED_PRECONDITION while RUNNING. Returns the number of trials deleted.
  virtual absl::StatusOr<int> DeleteSweep(absl::string_view sweep_id, absl::string_view who) = 0;
  // Adds and removes tags (kept sorted, unique) and, if `note` is set, replaces the note; logs
  // "sweep_annotated" with `who`. INVALID_ARGUMENT for an empty tag or one with whitespace.
  virtual absl::StatusOr<v1::Sweep> AnnotateSweep(absl::string_view sweep_id,
                                                  const std::vector<std::string>& add_tags,
                                                  const std::vector<std::string>& remove_tags,
                                                  const std::optional<std::string>& note,
                                                  absl::string_view who) = 0;

  // --- Trials ---
  virtual absl::StatusOr<v1::Trial> GetTrial(absl::string_view trial_id) = 0;
  // In planning order. Memory grows with the sweep: a reader that may meet a large sweep
  // pages with ListTrialsPage instead.
  virtual absl::StatusOr<std::vector<v1::Trial>> ListTrials(absl::string_view sweep_id) = 0;
  // At most `page_size` trials (<= 0: 100) in planning order from `page_token` (empty: the
  // first; else a previous page's next_page_token: a page never repeats or skips a trial, even
  // while states change). INVALID_ARGUMENT for a bad token, NOT_FOUND for an unknown sweep.
  virtual absl::StatusOr<TrialPage> ListTrialsPage(absl::string_view sweep_id, int page_size,
                                                   absl::string_view page_token) = 0;
  // A slice of the sweep's ranking (ranking.h) and decisions, without reading the rows outside
  // it (the store keeps the ranking keys indexed). Each call reads afresh: a listing that pages
  // through a sweep whose trials change between pages may see a trial twice or miss one.
  virtual absl::StatusOr<RankingPage> ReadRanking(absl::string_view sweep_id,
                                                  const SweepSlice& slice) = 0;
  // Compare-and-set: moves the trial from `from` to `to` if its state is `from` and the edge is
  // legal (IsLegalTransition). RUNNING is entered only through AcquireLease. Leaving RUNNING
  // ends the lease. `message` becomes Trial.message. When every trial of a sweep is terminal,
  // the sweep becomes DONE.
  virtual absl::StatusOr<v1::Trial> TransitionTrial(absl::string_view trial_id, v1::TrialState from,
                                                    v1::TrialState to,
                                                    absl::string_view message) = 0;
  // PENDING, RUNNING or WAITING -> PAUSED (a RUNNING trial loses its lease; the service should
  // order the worker to checkpoint first and prefer EndLease(..., PAUSED)).
  virtual absl::StatusOr<v1::Trial> PauseTrial(absl::string_view trial_id,
                                               absl::string_view reason) = 0;
  // PAUSED -> PENDING; it resumes from its last committed checkpoint when leased again.
  virtual absl::StatusOr<v1::Trial> ResumeTrial(absl::string_view trial_id,
                                                absl::string_view reason) = 0;

  // --- Leases ---
  // Grants up to `max_leases` PENDING trials of RUNNING sweeps to `worker_id` for `ttl`, in
  // lease priority order (reference runs of every running sweep first, then older sweeps, then
  // planning order), skipping any trial whose GPU need (GpuNeed) is more than what is left of
  // `free_slots`; each grant subtracts its need. One transaction. Empty when nothing fits or
  // nothing is pending (also when free_slots or max_leases is < 1).
  // A kCpuOnly worker is granted only trials that may train on CPU (NeedsGpu false).
  virtual absl::StatusOr<std::vector<LeaseGrant>> AcquireLeases(absl::string_view worker_id,
                                                                absl::Duration ttl, int free_slots,
                                                                int max_leases,
                                                                DeviceKind kind) = 0;
  // For a worker with GPUs.
  absl::StatusOr<std::vector<LeaseGrant>> AcquireLeases(absl::string_view worker_id,
                                                        absl::Duration ttl, int free_slots,
                                                        int max_leases) {
    return AcquireLeases(worker_id, ttl, free_slots, max_leases, DeviceKind::kGpu);
  }
  // The GPU need (GpuNeed) of the PENDING trial that is first in lease priority order among
  // those a worker of `kind` may take, whatever its size; 0 when there is none. The scheduler
  // holds a worker of that kind back for it when it fits on no such worker's free slots
  // (placement would otherwise let smaller trials overtake it for ever).
  virtual absl::StatusOr<int> HeadPendingNeed(DeviceKind kind) = 0;
  absl::StatusOr<int> HeadPendingNeed() { return HeadPendingNeed(DeviceKind::kGpu); }
  // One lease, whatever its GPU need: AcquireLeases(worker_id, ttl, INT_MAX, 1). nullopt when
  // nothing is pending.
  absl::StatusOr<std::optional<LeaseGrant>> AcquireLease(absl::string_view worker_id,
                                                         absl::Duration ttl);
  // Extends every live (unexpired) lease of `worker_id` to now + ttl; returns them.
  virtual absl::StatusOr<std::vector<LeaseInfo>> RenewLeases(absl::string_view worker_id,
                                                             absl::Duration ttl) = 0;
  // Every RUNNING trial whose lease expired at or before now goes back to PENDING, keeping its
  // checkpoint and points; returns the expired leases.
  virtual absl::StatusOr<std::vector<LeaseInfo>> ExpireLeases() = 0;
  virtual absl::StatusOr<LeaseInfo> GetLease(absl::string_view trial_id) = 0;
  // A worker ended its lease (TrialEnded): RUNNING -> `final_state` (PENDING, PAUSED, WAITING,
  // COMPLETED, STOPPED, DIVERGED or FAILED) under the fencing token.
  virtual absl::StatusOr<v1::Trial> EndLease(absl::string_view trial_id, int64_t fencing_token,
                                             v1::TrialState final_state,
                                             absl::string_view message) = 0;

  // --- Writes under a lease, batched ---
  // Fails as a whole only for a storage error (nothing applied).
  virtual absl::StatusOr<WriteBatchResult> ApplyBatch(const WriteBatch& batch) = 0;
  // One-item conveniences over ApplyBatch; the item's status becomes the returned status.
  absl::StatusOr<PointWriteResult> AppendPoints(PointWrite write);
  absl::Status CommitCheckpoint(const v1::CheckpointCommit& commit);
  absl::Status RecordDecision(const v1::Decision& decision);

  // --- Reads ---
  // Points with step >= from_step, ascending by step.
  virtual absl::StatusOr<std::vector<v1::LossPoint>> ReadPoints(absl::string_view trial_id,
                                                                int64_t from_step) = 0;
  // The points with fraction <= `up_to_fraction`, ascending by step, then the last point if it
  // is past that fraction; the points in between are not read (the head ends at the first
  // point past the fraction). What TrialCurves keeps of an ended trial.
  virtual absl::StatusOr<std::vector<v1::LossPoint>> ReadPointsHead(absl::string_view trial_id,
                                                                    double up_to_fraction) = 0;
  // The committed checkpoint with the largest step, if any.
  virtual absl::StatusOr<std::optional<v1::CheckpointCommit>> LatestCheckpoint(
      absl::string_view trial_id) = 0;
  // Decisions about the sweep's trials, oldest first.
  virtual absl::StatusOr<std::vector<v1::Decision>> ListDecisions(absl::string_view sweep_id) = 0;
  // Decisions about one trial, oldest first, without reading its sweep's others (a trial has
  // one a milestone). NOT_FOUND for an unknown trial.
  virtual absl::StatusOr<std::vector<v1::Decision>> ListTrialDecisions(
      absl::string_view trial_id) = 0;

  // --- Workers ---
  // Inserts or replaces by worker_id. trial_ids is ignored: it is derived from the leases.
  virtual absl::Status UpsertWorker(const v1::WorkerInfo& worker) = 0;
  // By worker_id, with trial_ids filled from the live leases.
  virtual absl::StatusOr<std::vector<v1::WorkerInfo>> ListWorkers() = 0;

  // --- Event log ---
  // Appends an event (seq and unix_ms are assigned); returns its seq.
  virtual absl::StatusOr<int64_t> AppendEvent(const StoreEvent& event) = 0;
  // Events with seq > after_seq, oldest first, at most `limit` (<= 0: all).
  virtual absl::StatusOr<std::vector<StoreEvent>> ReadEvents(int64_t after_seq, int limit) = 0;
};

// INVALID_ARGUMENT (naming the field and value) unless the point is one a trainer can send:
// 1 <= step <= 2^53 (an absurd step would end a trial for ever), fraction finite and within
// [0, 1.001], lr finite and >= 0, tokens >= 0. A non-finite loss is not refused here: it is a
// divergence (see PointWriteResult).
absl::Status CheckPoint(const v1::LossPoint& point);
// INVALID_ARGUMENT unless `path` follows the rule of CheckpointWrite for the trial and step.
absl::Status CheckCheckpointPath(absl::string_view trial_id, int64_t step, absl::string_view path);

// True for COMPLETED, STOPPED, DIVERGED, FAILED and CANCELLED.
bool IsTerminal(v1::TrialState state);
// The GPU slots a trial occupies on a worker: max(1, config.resources.gpus).
int GpuNeed(const v1::Trial& trial);
// Whether the trial must run on GPUs: it asks for some (resources.gpus > 0) and its spec does
// not accept a CPU-only worker (resources.allow_cpu).
bool NeedsGpu(const v1::Trial& trial);
// The tokens a trial trains on to its end: controls.total_steps * controls.batch_tokens.
int64_t PlannedTokens(const v1::Trial& trial);
// The trial state machine (docs/store.md draws it). Self-edges are illegal.
bool IsLegalTransition(v1::TrialState from, v1::TrialState to);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_STORE_H_
