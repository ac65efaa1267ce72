#include "scheduler/backed_store.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/ranking.h"

namespace augur {
namespace {

using v1::TrialState;

constexpr int64_t kForever = std::numeric_limits<int64_t>::max();
constexpr int kDefaultPageSize = 100;

std::string StateName(TrialState s) { return v1::TrialState_Name(s); }

// INVALID_ARGUMENT unless `t` can be stored as a planned trial of `sweep_id`.
absl::Status CheckPlannedTrial(const v1::Trial& t, const std::string& sweep_id) {
  if (t.trial_id().empty()) return absl::InvalidArgumentError("a trial has an empty trial_id");
  if (t.sweep_id() != sweep_id) {
    return absl::InvalidArgumentError(absl::StrCat("trial ", t.trial_id(), " has sweep_id '",
                                                   t.sweep_id(), "', expected ", sweep_id));
  }
  if (t.state() != v1::TRIAL_STATE_PENDING && t.state() != v1::TRIAL_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial ", t.trial_id(), " is ", StateName(t.state()), ", not PENDING"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckLeaseEndState(TrialState final_state) {
  if (final_state == v1::TRIAL_STATE_RUNNING || final_state == v1::TRIAL_STATE_CANCELLED ||
      final_state == v1::TRIAL_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("a lease cannot end in state ", StateName(final_state)));
  }
  return absl::OkStatus();
}

absl::Status CheckLease(const TrialRecord& record, int64_t fencing_token, int64_t now_unix_ms,
                        absl::string_view worker_id) {
  const std::string& id = record.trial.trial_id();
  if (fencing_token != record.fencing_token) {
    // The current token is not named: a caller that does not hold it must not learn it.
    return absl::FailedPreconditionError(
        absl::StrCat("stale fencing token ", fencing_token, " for trial ", id));
  }
  if (record.trial.state() != v1::TRIAL_STATE_RUNNING) {
    return absl::FailedPreconditionError(absl::StrCat("trial ", id, " is ",
                                                      StateName(record.trial.state()),
                                                      ", not RUNNING: its lease has ended"));
  }
  if (!worker_id.empty() && worker_id != record.trial.worker_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("trial ", id, " is not leased to worker '", worker_id, "'"));
  }
  if (record.lease_expires_unix_ms <= now_unix_ms) {
    return absl::FailedPreconditionError(absl::StrCat("lease of trial ", id, " expired at ",
                                                      record.lease_expires_unix_ms, " (now ",
                                                      now_unix_ms, ")"));
  }
  return absl::OkStatus();
}

BackedStore::BackedStore(std::unique_ptr<StoreBackend> backend, const Clock& clock, Random* random)
    : clock_(clock), random_(random ? random : &SystemRandom()), backend_(std::move(backend)) {}

absl::Status BackedStore::Run(absl::FunctionRef<absl::Status(StoreBackend&)> body) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(backend_->Begin());
  absl::Status status = body(*backend_);
  if (status.ok()) status = backend_->Commit();
  if (!status.ok()) backend_->Rollback();
  return status;
}

absl::StatusOr<TrialRecord> BackedStore::MustLoadTrial(StoreBackend& db,
                                                       absl::string_view trial_id) {
  ASSIGN_OR_RETURN(std::optional<TrialRecord> record, db.LoadTrial(trial_id));
  if (!record) return absl::NotFoundError(absl::StrCat("no trial ", trial_id));
  return std::move(*record);
}

absl::StatusOr<SweepRecord> BackedStore::MustLoadSweep(StoreBackend& db,
                                                       absl::string_view sweep_id) {
  ASSIGN_OR_RETURN(std::optional<SweepRecord> record, db.LoadSweep(sweep_id));
  if (!record) return absl::NotFoundError(absl::StrCat("no sweep ", sweep_id));
  return std::move(*record);
}

absl::StatusOr<v1::Sweep> BackedStore::Summarize(StoreBackend& db, const SweepRecord& record) {
  v1::Sweep sweep = record.sweep;
  ASSIGN_OR_RETURN(TrialTotals totals, db.SumTrials(sweep.sweep_id()));
  for (const auto& [state, n] : totals.counts)
    (*sweep.mutable_trial_counts())[StateName(state)] = n;
  sweep.set_tokens_spent(totals.tokens_spent);
  sweep.set_tokens_full(totals.tokens_full);
  sweep.set_tokens_left(totals.tokens_left);
  sweep.set_best_trial_id(totals.best_trial_id);
  return sweep;
}

absl::Status BackedStore::Log(StoreBackend& db, absl::string_view kind, absl::string_view sweep_id,
                              absl::string_view trial_id, std::string detail) {
  StoreEvent event;
  event.unix_ms = clock_.NowUnixMs();
  event.kind = std::string(kind);
  event.sweep_id = std::string(sweep_id);
  event.trial_id = std::string(trial_id);
  event.detail = std::move(detail);
  return db.AppendEvent(event).status();
}

absl::Status BackedStore::SetState(StoreBackend& db, TrialRecord& record, TrialState to,
                                   absl::string_view message) {
  const TrialState from = record.trial.state();
  record.trial.set_state(to);
  record.trial.set_state_changed_unix_ms(clock_.NowUnixMs());
  if (from == v1::TRIAL_STATE_RUNNING && to != v1::TRIAL_STATE_RUNNING) {
    record.trial.clear_worker_id();
    record.lease_expires_unix_ms = 0;
  }
  if (!message.empty()) record.trial.set_message(std::string(message));
  RETURN_IF_ERROR(db.UpdateTrial(record));
  const std::string& sweep_id = record.trial.sweep_id();
  RETURN_IF_ERROR(Log(
      db, "trial_state", sweep_id, record.trial.trial_id(),
      absl::StrCat(StateName(from), " -> ", StateName(to), message.empty() ? "" : ": ", message)));
  if (!IsTerminal(to)) return absl::OkStatus();
  ASSIGN_OR_RETURN(SweepRecord sweep, MustLoadSweep(db, sweep_id));
  if (sweep.sweep.state() != v1::Sweep::STATE_RUNNING) return absl::OkStatus();
  // An index seek, not LoadTrials or a count: this runs on every terminal transition, and
  // parsing every trial of a 1,000-trial sweep each time dominated the writer (benchmarks.md).
  ASSIGN_OR_RETURN(bool live, db.HasLiveTrials(sweep_id));
  if (live) return absl::OkStatus();
  sweep.sweep.set_state(v1::Sweep::STATE_DONE);
  RETURN_IF_ERROR(db.UpdateSweep(sweep.sweep));
  return Log(db, "sweep_done", sweep_id, "", "every trial is terminal");
}

absl::Status BackedStore::CreateSweep(const v1::Sweep& sweep, TrialStream& trials) {
  if (sweep.sweep_id().empty()) return absl::InvalidArgumentError("sweep_id is empty");
  v1::Sweep stored = sweep;
  stored.set_state(v1::Sweep::STATE_RUNNING);
  if (stored.created_unix_ms() == 0) stored.set_created_unix_ms(clock_.NowUnixMs());
  stored.clear_trial_counts();
  stored.clear_tokens_spent();
  stored.clear_tokens_full();
  stored.clear_tokens_left();
  stored.clear_tokens_per_second();
  stored.clear_best_trial_id();
  // One transaction for the whole sweep (atomic: nothing is left of a failed submit), fed one
  // batch at a time. A repeated id fails in the backend (ALREADY_EXISTS), not in a set of ids.
  return Run([&](StoreBackend& db) -> absl::Status {
    RETURN_IF_ERROR(db.InsertSweep(stored).status());
    int64_t ordinal = 0;
    std::vector<v1::Trial> batch;
    while (true) {
      RETURN_IF_ERROR(trials.Next(kCreateSweepBatch, batch));
      if (batch.empty()) break;
      for (v1::Trial& t : batch) {
        RETURN_IF_ERROR(CheckPlannedTrial(t, stored.sweep_id()));
        TrialRecord record;
        record.trial = std::move(t);
        record.trial.set_state(v1::TRIAL_STATE_PENDING);
        record.trial.clear_worker_id();
        record.ordinal = ordinal++;
        RETURN_IF_ERROR(db.InsertTrial(record));
      }
    }
    if (ordinal == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("sweep ", stored.sweep_id(), " has no trials"));
    }
    return Log(db, "sweep_created", stored.sweep_id(), "",
               absl::StrCat(ordinal, " trials planned"));
  });
}

absl::StatusOr<v1::Sweep> BackedStore::GetSweep(absl::string_view sweep_id) {
  return RunFor<v1::Sweep>([&](StoreBackend& db) -> absl::StatusOr<v1::Sweep> {
    ASSIGN_OR_RETURN(SweepRecord record, MustLoadSweep(db, sweep_id));
    return Summarize(db, record);
  });
}

absl::StatusOr<SweepPage> BackedStore::ListSweeps(int page_size, absl::string_view page_token) {
  if (page_size <= 0) page_size = kDefaultPageSize;
  int64_t before = kForever;
  if (!page_token.empty() && (!absl::SimpleAtoi(page_token, &before) || before <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("bad page_token '", page_token, "'"));
  }
  return RunFor<SweepPage>([&](StoreBackend& db) -> absl::StatusOr<SweepPage> {
    ASSIGN_OR_RETURN(std::vector<SweepRecord> records, db.LoadSweepsBefore(before, page_size + 1));
    SweepPage page;
    for (int i = 0; i < static_cast<int>(records.size()) && i < page_size; ++i) {
      ASSIGN_OR_RETURN(v1::Sweep sweep, Summarize(db, records[i]));
      page.sweeps.push_back(std::move(sweep));
    }
    if (static_cast<int>(records.size()) > page_size) {
      page.next_page_token = absl::StrCat(records[page_size - 1].seq);
    }
    return page;
  });
}

absl::StatusOr<v1::Sweep> BackedStore::CancelSweep(absl::string_view sweep_id,
                                                   absl::string_view reason) {
  return RunFor<v1::Sweep>([&](StoreBackend& db) -> absl::StatusOr<v1::Sweep> {
    ASSIGN_OR_RETURN(SweepRecord sweep, MustLoadSweep(db, sweep_id));
    if (sweep.sweep.state() == v1::Sweep::STATE_DONE) {
      return absl::FailedPreconditionError(absl::StrCat("sweep ", sweep_id, " is done"));
    }
    if (sweep.sweep.state() != v1::Sweep::STATE_CANCELLED) {
      // The sweep leaves RUNNING first so that cancelling its last trial does not mark it DONE.
      sweep.sweep.set_state(v1::Sweep::STATE_CANCELLED);
      RETURN_IF_ERROR(db.UpdateSweep(sweep.sweep));
      RETURN_IF_ERROR(Log(db, "sweep_cancelled", sweep_id, "", std::string(reason)));
      RETURN_IF_ERROR(ForEachTrial(db, sweep_id, [&](TrialRecord& t) -> absl::Status {
        if (IsTerminal(t.trial.state())) return absl::OkStatus();
        return SetState(db, t, v1::TRIAL_STATE_CANCELLED, reason);
      }));
    }
    return Summarize(db, sweep);
  });
}

absl::StatusOr<v1::Trial> BackedStore::GetTrial(absl::string_view trial_id) {
  return RunFor<v1::Trial>([&](StoreBackend& db) -> absl::StatusOr<v1::Trial> {
    ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, trial_id));
    return std::move(record.trial);
  });
}

absl::StatusOr<std::vector<v1::Trial>> BackedStore::ListTrials(absl::string_view sweep_id) {
  using Trials = std::vector<v1::Trial>;
  return RunFor<Trials>([&](StoreBackend& db) -> absl::StatusOr<Trials> {
    RETURN_IF_ERROR(MustLoadSweep(db, sweep_id).status());
    ASSIGN_OR_RETURN(std::vector<TrialRecord> records,
                     db.LoadTrials(sweep_id, std::numeric_limits<int64_t>::min(), -1));
    Trials trials;
    trials.reserve(records.size());
    for (TrialRecord& r : records) trials.push_back(std::move(r.trial));
    return trials;
  });
}

absl::StatusOr<v1::Trial> BackedStore::TransitionTrial(absl::string_view trial_id, TrialState from,
                                                       TrialState to, absl::string_view message) {
  return RunFor<v1::Trial>([&](StoreBackend& db) -> absl::StatusOr<v1::Trial> {
    ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, trial_id));
    if (record.trial.state() != from) {
      return absl::FailedPreconditionError(absl::StrCat("trial ", trial_id, " is ",
                                                        StateName(record.trial.state()),
                                                        ", expected ", StateName(from)));
    }
    if (to == v1::TRIAL_STATE_RUNNING) {
      return absl::FailedPreconditionError("a trial becomes RUNNING only through AcquireLease");
    }
    if (!IsLegalTransition(from, to)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "illegal transition ", StateName(from), " -> ", StateName(to), " for trial ", trial_id));
    }
    RETURN_IF_ERROR(SetState(db, record, to, message));
    return std::move(record.trial);
  });
}

absl::StatusOr<v1::Trial> BackedStore::PauseTrial(absl::string_view trial_id,
                                                  absl::string_view reason) {
  return RunFor<v1::Trial>([&](StoreBackend& db) -> absl::StatusOr<v1::Trial> {
    ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, trial_id));
    const TrialState s = record.trial.state();
    if (s != v1::TRIAL_STATE_PENDING && s != v1::TRIAL_STATE_RUNNING &&
        s != v1::TRIAL_STATE_WAITING) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot pause trial ", trial_id, ": it is ", StateName(s)));
    }
    RETURN_IF_ERROR(SetState(db, record, v1::TRIAL_STATE_PAUSED, reason));
    return std::move(record.trial);
  });
}

absl::StatusOr<v1::Trial> BackedStore::ResumeTrial(absl::string_view trial_id,
                                                   absl::string_view reason) {
  return RunFor<v1::Trial>([&](StoreBackend& db) -> absl::StatusOr<v1::Trial> {
    ASSIGN_OR_RETURN(TrialRecord record, MustLoadTrial(db, trial_id));
    if (record.trial.state() == v1::TRIAL_STATE_WAITING) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot resume trial ", trial_id,
                       ": it is waiting at a milestone for its group's decision"));
    }
    if (record.trial.state() != v1::TRIAL_STATE_PAUSED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot resume trial ", trial_id, ": it is ", StateName(record.trial.state())));
    }
    RETURN_IF_ERROR(SetState(db, record, v1::TRIAL_STATE_PENDING, reason));
    return std::move(record.trial);
  });
}

absl::StatusOr<std::vector<v1::LossPoint>> BackedStore::ReadPoints(absl::string_view trial_id,
                                                                   int64_t from_step) {
  using Points = std::vector<v1::LossPoint>;
  return RunFor<Points>([&](StoreBackend& db) -> absl::StatusOr<Points> {
    RETURN_IF_ERROR(MustLoadTrial(db, trial_id).status());
    return db.LoadPoints(trial_id, from_step);
  });
}

absl::StatusOr<std::vector<v1::LossPoint>> BackedStore::ReadPointsHead(absl::string_view trial_id,
                                                                       double up_to_fraction) {
  using Points = std::vector<v1::LossPoint>;
  return RunFor<Points>([&](StoreBackend& db) -> absl::StatusOr<Points> {
    RETURN_IF_ERROR(MustLoadTrial(db, trial_id).status());
    return db.LoadPointsHead(trial_id, up_to_fraction);
  });
}

absl::StatusOr<std::optional<v1::CheckpointCommit>> BackedStore::LatestCheckpoint(
    absl::string_view trial_id) {
  using Checkpoint = std::optional<v1::CheckpointCommit>;
  return RunFor<Checkpoint>([&](StoreBackend& db) -> absl::StatusOr<Checkpoint> {
    RETURN_IF_ERROR(MustLoadTrial(db, trial_id).status());
    return db.LatestCheckpoint(trial_id);
  });
}

absl::StatusOr<std::vector<v1::Decision>> BackedStore::ListDecisions(absl::string_view sweep_id) {
  using Decisions = std::vector<v1::Decision>;
  return RunFor<Decisions>([&](StoreBackend& db) -> absl::StatusOr<Decisions> {
    RETURN_IF_ERROR(MustLoadSweep(db, sweep_id).status());
    return db.LoadDecisions(sweep_id, 0, -1);
  });
}

absl::StatusOr<std::vector<v1::Decision>> BackedStore::ListTrialDecisions(
    absl::string_view trial_id) {
  using Decisions = std::vector<v1::Decision>;
  return RunFor<Decisions>([&](StoreBackend& db) -> absl::StatusOr<Decisions> {
    RETURN_IF_ERROR(MustLoadTrial(db, trial_id).status());
    return db.LoadTrialDecisions(trial_id);
  });
}

absl::Status BackedStore::UpsertWorker(const v1::WorkerInfo& worker) {
  if (worker.worker_id().empty()) return absl::InvalidArgumentError("worker_id is empty");
  v1::WorkerInfo stored = worker;
  stored.clear_trial_ids();
  return Run([&](StoreBackend& db) { return db.UpsertWorker(stored); });
}

absl::StatusOr<std::vector<v1::WorkerInfo>> BackedStore::ListWorkers() {
  using Workers = std::vector<v1::WorkerInfo>;
  return RunFor<Workers>([&](StoreBackend& db) -> absl::StatusOr<Workers> {
    ASSIGN_OR_RETURN(Workers workers, db.LoadWorkers());
    for (v1::WorkerInfo& w : workers) {
      ASSIGN_OR_RETURN(std::vector<std::string> ids, db.RunningTrials(w.worker_id(), kForever));
      for (std::string& id : ids) w.add_trial_ids(std::move(id));
    }
    return workers;
  });
}

absl::StatusOr<int64_t> BackedStore::AppendEvent(const StoreEvent& event) {
  if (event.kind.empty()) return absl::InvalidArgumentError("event kind is empty");
  StoreEvent stamped = event;
  stamped.unix_ms = clock_.NowUnixMs();
  return RunFor<int64_t>([&](StoreBackend& db) { return db.AppendEvent(stamped); });
}

absl::StatusOr<std::vector<StoreEvent>> BackedStore::ReadEvents(int64_t after_seq, int limit) {
  using Events = std::vector<StoreEvent>;
  return RunFor<Events>([&](StoreBackend& db) { return db.LoadEvents(after_seq, limit); });
}

}  // namespace augur
