// BackedStore's batched writes: loss points and checkpoint commits under leases, decisions and
// the state transitions they cause.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/backed_store.h"

namespace augur {
namespace {

bool IsFinitePoint(const v1::LossPoint& p) {
  return std::isfinite(p.train_loss()) && (!p.has_val_loss() || std::isfinite(p.val_loss()));
}

// Same values: a re-send. Bitwise comparison, so that a retrained step that came out slightly
// different counts as a conflict.
bool SameValues(const v1::LossPoint& a, const v1::LossPoint& b) {
  if (a.train_loss() != b.train_loss()) return false;
  if (a.has_val_loss() != b.has_val_loss()) return false;
  return !a.has_val_loss() || a.val_loss() == b.val_loss();
}

// Loads the trial a batch item names. A missing trial is the item's error (NOT_FOUND in
// `item`), not the batch's: nullopt then.
absl::StatusOr<std::optional<TrialRecord>> LoadItemTrial(StoreBackend& db, absl::string_view id,
                                                         absl::Status& item) {
  ASSIGN_OR_RETURN(std::optional<TrialRecord> loaded, db.LoadTrial(id));
  if (!loaded) item = absl::NotFoundError(absl::StrCat("no trial ", id));
  return loaded;
}

}  // namespace

absl::StatusOr<WriteBatchResult> BackedStore::ApplyBatch(const WriteBatch& batch) {
  WriteBatchResult result;
  RETURN_IF_ERROR(Run([&](StoreBackend& db) -> absl::Status {
    result = WriteBatchResult();
    result.points.resize(batch.points.size());
    result.checkpoints.resize(batch.checkpoints.size());
    result.predictions.resize(batch.predictions.size());
    result.decisions.resize(batch.decisions.size());
    result.transitions.resize(batch.transitions.size());
    result.lease_ends.resize(batch.lease_ends.size());
    for (size_t i = 0; i < batch.points.size(); ++i) {
      RETURN_IF_ERROR(ApplyPoints(db, batch.points[i], result.points[i]));
    }
    for (size_t i = 0; i < batch.checkpoints.size(); ++i) {
      RETURN_IF_ERROR(ApplyCheckpoint(db, batch.checkpoints[i], result.checkpoints[i]));
    }
    for (size_t i = 0; i < batch.predictions.size(); ++i) {
      RETURN_IF_ERROR(ApplyPrediction(db, batch.predictions[i], result.predictions[i]));
    }
    for (size_t i = 0; i < batch.decisions.size(); ++i) {
      RETURN_IF_ERROR(ApplyDecision(db, batch.decisions[i], result.decisions[i]));
    }
    for (size_t i = 0; i < batch.transitions.size(); ++i) {
      RETURN_IF_ERROR(ApplyTransition(db, batch.transitions[i], result.transitions[i]));
    }
    for (size_t i = 0; i < batch.lease_ends.size(); ++i) {
      RETURN_IF_ERROR(ApplyLeaseEnd(db, batch.lease_ends[i], result.lease_ends[i]));
    }
    return absl::OkStatus();
  }));
  return result;
}

absl::Status BackedStore::ApplyPoints(StoreBackend& db, const PointWrite& write,
                                      PointWriteResult& out) {
  ASSIGN_OR_RETURN(std::optional<TrialRecord> loaded,
                   LoadItemTrial(db, write.trial_id, out.status));
  if (!loaded) return absl::OkStatus();
  TrialRecord& record = *loaded;
  out.status = CheckLease(record, write.fencing_token, clock_.NowUnixMs(), write.worker_id);
  // A trial stopped by the stopping policy still takes points under its last lease's token:
  // they were in flight when it was stopped, and a decision may have used them (store.h).
  const bool late = !out.status.ok() && record.trial.state() == v1::TRIAL_STATE_STOPPED &&
                    write.fencing_token > 0 && write.fencing_token == record.fencing_token;
  if (late) out.status = absl::OkStatus();
  if (!out.status.ok()) return absl::OkStatus();
  for (const v1::LossPoint& p : write.points) {
    // A poison point is refused with its write alone: it never reaches a NOT NULL column,
    // where it would fail the whole batch of every session's writes.
    if (absl::Status st = CheckPoint(p); !st.ok()) {
      out.status =
          absl::InvalidArgumentError(absl::StrCat("trial ", write.trial_id, ": ", st.message()));
      return absl::OkStatus();
    }
  }
  std::vector<v1::LossPoint> points = write.points;
  std::stable_sort(
      points.begin(), points.end(),
      [](const v1::LossPoint& a, const v1::LossPoint& b) { return a.step() < b.step(); });
  std::string divergence;
  for (const v1::LossPoint& p : points) {
    if (!IsFinitePoint(p)) {
      divergence = absl::StrCat("non-finite loss at step ", p.step(), ": train_loss ",
                                p.train_loss(), p.has_val_loss() ? ", val_loss " : "",
                                p.has_val_loss() ? absl::StrCat(p.val_loss()) : "");
      break;
    }
    // Steps beyond the largest stored one cannot exist yet: no lookup for the common case of
    // a trial's next points, only for re-sends.
    std::optional<v1::LossPoint> existing;
    if (p.step() <= record.trial.last_point().step()) {
      ASSIGN_OR_RETURN(existing, db.LoadPoint(write.trial_id, p.step()));
    }
    if (existing) {
      if (SameValues(*existing, p)) {
        ++out.duplicates;
      } else {
        ++out.conflicts;
      }
      continue;
    }
    RETURN_IF_ERROR(db.InsertPoint(write.trial_id, p));
    ++out.inserted;
    if (p.step() > record.trial.last_point().step()) *record.trial.mutable_last_point() = p;
  }
  if (out.conflicts > 0) {
    RETURN_IF_ERROR(
        Log(db, "points_conflict", record.trial.sweep_id(), write.trial_id,
            absl::StrCat(out.conflicts, " points differ from the stored ones; kept the stored")));
  }
  if (!divergence.empty() && !late) {  // A stopped trial stays STOPPED.
    out.diverged = true;
    RETURN_IF_ERROR(SetState(db, record, v1::TRIAL_STATE_DIVERGED, divergence));
  } else if (out.inserted > 0) {
    RETURN_IF_ERROR(db.UpdateTrial(record));
  }
  ASSIGN_OR_RETURN(out.durable_step, db.MaxStep(write.trial_id));
  return absl::OkStatus();
}

absl::Status BackedStore::ApplyCheckpoint(StoreBackend& db, const CheckpointWrite& write,
                                          absl::Status& out) {
  const v1::CheckpointCommit& commit = write.commit;
  ASSIGN_OR_RETURN(std::optional<TrialRecord> loaded, LoadItemTrial(db, commit.trial_id(), out));
  if (!loaded) return absl::OkStatus();
  TrialRecord& record = *loaded;
  out = CheckLease(record, commit.fencing_token(), clock_.NowUnixMs(), write.worker_id);
  if (!out.ok()) return absl::OkStatus();
  if (commit.step() < 1 || commit.path().empty()) {
    out = absl::InvalidArgumentError(absl::StrCat("checkpoint of trial ", commit.trial_id(),
                                                  " needs step >= 1 and a path (step ",
                                                  commit.step(), ", path '", commit.path(), "')"));
    return absl::OkStatus();
  }
  out = CheckCheckpointPath(commit.trial_id(), commit.step(), commit.path());
  if (!out.ok()) return absl::OkStatus();
  RETURN_IF_ERROR(db.UpsertCheckpoint(commit, clock_.NowUnixMs()));
  if (commit.step() > record.trial.checkpoint_step()) {
    record.trial.set_checkpoint_step(commit.step());
    RETURN_IF_ERROR(db.UpdateTrial(record));
  }
  return Log(
      db, "checkpoint", record.trial.sweep_id(), commit.trial_id(),
      absl::StrCat("step ", commit.step(), " token ", commit.fencing_token(), " ", commit.path()));
}

absl::Status BackedStore::ApplyPrediction(StoreBackend& db, const PredictionWrite& write,
                                          absl::Status& out) {
  ASSIGN_OR_RETURN(std::optional<TrialRecord> loaded, LoadItemTrial(db, write.trial_id, out));
  if (!loaded) return absl::OkStatus();
  TrialRecord& record = *loaded;
  const double m = write.prediction.at_fraction();
  if (IsTerminal(record.trial.state()) ||
      (record.trial.has_last_decision() &&
       record.trial.last_decision().milestone_fraction() >= m - 1e-9)) {
    out = absl::FailedPreconditionError(absl::StrCat(
        "trial ", write.trial_id, " has ended or was decided at or past milestone ", m));
    return absl::OkStatus();
  }
  *record.trial.mutable_prediction() = write.prediction;
  return db.UpdateTrial(record);
}

absl::Status BackedStore::ApplyDecision(StoreBackend& db, const v1::Decision& decision,
                                        absl::Status& out) {
  if (decision.action() == v1::DECISION_ACTION_UNSPECIFIED) {
    out = absl::InvalidArgumentError(
        absl::StrCat("decision for trial ", decision.trial_id(), " has no action"));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::optional<TrialRecord> loaded, LoadItemTrial(db, decision.trial_id(), out));
  if (!loaded) return absl::OkStatus();
  TrialRecord& record = *loaded;
  v1::Decision stored = decision;
  if (stored.decided_unix_ms() == 0) stored.set_decided_unix_ms(clock_.NowUnixMs());
  ASSIGN_OR_RETURN(bool inserted, db.InsertDecision(record.trial.sweep_id(), stored));
  if (!inserted) {
    out = absl::AlreadyExistsError(absl::StrCat("trial ", decision.trial_id(),
                                                " already has a decision at milestone ",
                                                decision.milestone_fraction()));
    return absl::OkStatus();
  }
  *record.trial.mutable_last_decision() = stored;
  if (stored.has_prediction()) *record.trial.mutable_prediction() = stored.prediction();
  RETURN_IF_ERROR(db.UpdateTrial(record));
  return Log(db, "decision", record.trial.sweep_id(), decision.trial_id(),
             absl::StrCat(v1::DecisionAction_Name(stored.action()), " at ",
                          stored.milestone_fraction(), ": ", stored.reason()));
}

absl::Status BackedStore::ApplyTransition(StoreBackend& db, const TrialTransition& transition,
                                          TransitionResult& out) {
  ASSIGN_OR_RETURN(std::optional<TrialRecord> loaded,
                   LoadItemTrial(db, transition.trial_id, out.status));
  if (!loaded) return absl::OkStatus();
  TrialRecord& record = *loaded;
  out.from = record.trial.state();
  const std::string from_name = v1::TrialState_Name(out.from);
  if (transition.to == v1::TRIAL_STATE_RUNNING) {
    out.status = absl::FailedPreconditionError("a trial becomes RUNNING only through a lease");
    return absl::OkStatus();
  }
  if (IsTerminal(out.from)) {
    out.status = absl::FailedPreconditionError(
        absl::StrCat("trial ", transition.trial_id, " is ", from_name, " (terminal)"));
    return absl::OkStatus();
  }
  if (!IsLegalTransition(out.from, transition.to)) {
    out.status = absl::FailedPreconditionError(
        absl::StrCat("illegal transition ", from_name, " -> ", v1::TrialState_Name(transition.to),
                     " for trial ", transition.trial_id));
    return absl::OkStatus();
  }
  if (out.from == v1::TRIAL_STATE_RUNNING) {
    // Returned so that the caller can tell that worker to stop, under the token it holds.
    out.worker_id = record.trial.worker_id();
    out.fencing_token = record.fencing_token;
  }
  RETURN_IF_ERROR(SetState(db, record, transition.to, transition.message));
  out.trial = std::move(record.trial);
  return absl::OkStatus();
}

absl::Status BackedStore::ApplyLeaseEnd(StoreBackend& db, const LeaseEnd& end,
                                        LeaseEndResult& out) {
  out.status = CheckLeaseEndState(end.final_state);
  if (!out.status.ok()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<TrialRecord> loaded, LoadItemTrial(db, end.trial_id, out.status));
  if (!loaded) return absl::OkStatus();
  TrialRecord& record = *loaded;
  out.trial = record.trial;  // As it is, also when the end is refused.
  out.status = CheckLease(record, end.fencing_token, clock_.NowUnixMs(), end.worker_id);
  if (!out.status.ok()) return absl::OkStatus();
  RETURN_IF_ERROR(SetState(db, record, end.final_state, end.message));
  out.trial = std::move(record.trial);
  return absl::OkStatus();
}

}  // namespace augur
