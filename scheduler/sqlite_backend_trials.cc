// SqliteBackend: sweep and trial rows (sqlite_backend.h).
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/ranking.h"
#include "scheduler/sqlite_backend.h"
#include "scheduler/sqlite_schema.h"

namespace augur {
namespace {

// The columns of a trial row that its readers take, in ReadTrial's order.
constexpr char kTrialColumns[] = "trial, ordinal, fencing_token, lease_expires_unix_ms";

absl::StatusOr<TrialRecord> ReadTrial(const Statement& s) {
  TrialRecord r;
  ASSIGN_OR_RETURN(r.trial, ParseBlob<v1::Trial>(s.Blob(0), "trial"));
  r.ordinal = s.Int(1);
  r.fencing_token = s.Int(2);
  r.lease_expires_unix_ms = s.Int(3);
  return r;
}

}  // namespace

absl::StatusOr<int64_t> SqliteBackend::InsertSweep(const v1::Sweep& sweep) {
  static constexpr char kSql[] =
      "INSERT INTO sweeps (sweep_id, state, created_unix_ms, sweep) VALUES (?1, ?2, ?3, ?4)";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, sweep.sweep_id())
      .Bind(2, static_cast<int64_t>(sweep.state()))
      .Bind(3, sweep.created_unix_ms())
      .BindBlob(4, sweep.SerializeAsString());
  RETURN_IF_ERROR(s->Run());
  return sqlite3_last_insert_rowid(db_->raw());
}

absl::StatusOr<std::optional<SweepRecord>> SqliteBackend::LoadSweep(absl::string_view sweep_id) {
  static constexpr char kSql[] = "SELECT sweep, seq FROM sweeps WHERE sweep_id = ?1";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, sweep_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<SweepRecord>();
  SweepRecord r;
  ASSIGN_OR_RETURN(r.sweep, ParseBlob<v1::Sweep>(s->Blob(0), "sweep"));
  r.seq = s->Int(1);
  return std::optional<SweepRecord>(std::move(r));
}

absl::Status SqliteBackend::UpdateSweep(const v1::Sweep& sweep) {
  static constexpr char kSql[] = "UPDATE sweeps SET state = ?2, sweep = ?3 WHERE sweep_id = ?1";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, sweep.sweep_id())
      .Bind(2, static_cast<int64_t>(sweep.state()))
      .BindBlob(3, sweep.SerializeAsString());
  return s->Run();
}

absl::StatusOr<std::vector<SweepRecord>> SqliteBackend::LoadSweepsBefore(int64_t before_seq,
                                                                         int limit) {
  static constexpr char kSql[] =
      "SELECT sweep, seq FROM sweeps WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->Bind(1, before_seq).Bind(2, static_cast<int64_t>(limit));
  std::vector<SweepRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return out;
    SweepRecord r;
    ASSIGN_OR_RETURN(r.sweep, ParseBlob<v1::Sweep>(s->Blob(0), "sweep"));
    r.seq = s->Int(1);
    out.push_back(std::move(r));
  }
}

absl::Status SqliteBackend::InsertTrial(const TrialRecord& r) {
  static constexpr char kSql[] =
      "INSERT INTO trials (trial_id, sweep_id, ordinal, state, is_reference, worker_id, "
      "fencing_token, lease_expires_unix_ms, last_step, checkpoint_step, trial, gpus, "
      "rank_tier, rank_loss, needs_gpu, tokens_spent, tokens_planned) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, r.trial.trial_id()).BindText(2, r.trial.sweep_id()).Bind(3, r.ordinal);
  BindTrialColumns(*s, r, 4);
  s->Bind(5, static_cast<int64_t>(r.trial.is_reference()));
  return s->Run();
}

absl::StatusOr<std::optional<TrialRecord>> SqliteBackend::LoadTrial(absl::string_view trial_id) {
  static const std::string kSql =
      absl::StrCat("SELECT ", kTrialColumns, " FROM trials WHERE trial_id = ?1");
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
  s->BindText(1, trial_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<TrialRecord>();
  ASSIGN_OR_RETURN(TrialRecord r, ReadTrial(*s));
  return std::optional<TrialRecord>(std::move(r));
}

absl::Status SqliteBackend::UpdateTrial(const TrialRecord& r) {
  static constexpr char kSql[] =
      "UPDATE trials SET state = ?4, worker_id = ?6, fencing_token = ?7, "
      "lease_expires_unix_ms = ?8, last_step = ?9, checkpoint_step = ?10, trial = ?11, "
      "gpus = ?12, rank_tier = ?13, rank_loss = ?14, needs_gpu = ?15, "
      "tokens_spent = ?16, tokens_planned = ?17 WHERE trial_id = ?1";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, r.trial.trial_id());
  BindTrialColumns(*s, r, 4);
  return s->Run();
}

absl::StatusOr<std::vector<TrialRecord>> SqliteBackend::LoadTrials(absl::string_view sweep_id,
                                                                   int64_t after_ordinal,
                                                                   int64_t limit) {
  static const std::string kSql =
      absl::StrCat("SELECT ", kTrialColumns,
                   " FROM trials WHERE sweep_id = ?1 AND ordinal > ?2 ORDER BY ordinal LIMIT ?3");
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
  s->BindText(1, sweep_id).Bind(2, after_ordinal).Bind(3, limit < 0 ? int64_t{-1} : limit);
  return ReadTrials(*s);
}

absl::StatusOr<std::vector<TrialRecord>> SqliteBackend::LoadRankedTrials(absl::string_view sweep_id,
                                                                         int64_t offset,
                                                                         int64_t limit) {
  // Two steps, so that the table is read in storage order: the slice's rowids in rank order
  // from the ranking index alone (it covers rowid), then each row by rowid, ascending. Rows
  // read in rank order are scattered over the table, and with SQLite's 2 MB page cache nearly
  // every one was a page fetched again from the OS (docs/benchmarks.md, "Sweep size").
  std::vector<std::pair<int64_t, size_t>> rowids;  // (rowid, rank within the slice)
  {
    ASSIGN_OR_RETURN(StmtPtr ranked, db_->Prepare(kRankedRowidsSql));
    ranked->BindText(1, sweep_id)
        .Bind(2, limit < 0 ? int64_t{-1} : limit)
        .Bind(3, std::max<int64_t>(0, offset));
    while (true) {
      ASSIGN_OR_RETURN(bool row, ranked->Step());
      if (!row) break;
      rowids.emplace_back(ranked->Int(0), rowids.size());
    }
  }
  std::sort(rowids.begin(), rowids.end());
  static const std::string kSql =
      absl::StrCat("SELECT ", kTrialColumns, " FROM trials WHERE rowid = ?1");
  std::vector<TrialRecord> out(rowids.size());
  for (const auto& [rowid, rank] : rowids) {
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
    s->Bind(1, rowid);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return absl::InternalError("a ranked trial's row vanished within its transaction");
    ASSIGN_OR_RETURN(out[rank], ReadTrial(*s));
  }
  return out;
}

absl::StatusOr<std::vector<TrialRecord>> SqliteBackend::LoadTrialsInState(
    absl::string_view sweep_id, v1::TrialState state) {
  static const std::string kSql = absl::StrCat(
      "SELECT ", kTrialColumns, " FROM trials WHERE sweep_id = ?1 AND state = ?2 ORDER BY ordinal");
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
  s->BindText(1, sweep_id).Bind(2, static_cast<int64_t>(state));
  return ReadTrials(*s);
}

const TrialTotals* SqliteBackend::KeptTotalsOf(absl::string_view sweep_id) const {
  if (!kept_totals_ || kept_totals_->sweep_id != sweep_id ||
      kept_totals_->changes != sqlite3_total_changes64(db_->raw())) {
    return nullptr;
  }
  return &kept_totals_->totals;
}

absl::StatusOr<int64_t> SqliteBackend::CountTrials(absl::string_view sweep_id) {
  if (const TrialTotals* kept = KeptTotalsOf(sweep_id)) {
    int64_t trials = 0;
    for (const auto& [state, n] : kept->counts) trials += n;
    return trials;
  }
  return Count("SELECT COUNT(*) FROM trials WHERE sweep_id = ?1", sweep_id);
}

absl::StatusOr<TrialTotals> SqliteBackend::SumTrials(absl::string_view sweep_id) {
  if (const TrialTotals* kept = KeptTotalsOf(sweep_id)) return *kept;
  TrialTotals totals;
  ASSIGN_OR_RETURN(StmtPtr sums, db_->Prepare(kTrialTotalsSql));
  sums->BindText(1, sweep_id);
  while (true) {
    ASSIGN_OR_RETURN(bool row, sums->Step());
    if (!row) break;
    const auto state = static_cast<v1::TrialState>(sums->Int(0));
    totals.counts[state] = sums->Int(1);
    totals.tokens_spent += sums->Int(2);
    totals.tokens_full += sums->Int(3);
    if (!IsTerminal(state)) totals.tokens_left += sums->Int(4);
  }
  for (int64_t tier : {0, 1}) {  // Contenders, then trials that ended early.
    ASSIGN_OR_RETURN(StmtPtr best, db_->Prepare(kBestTrialSql));
    best->BindText(1, sweep_id).Bind(2, tier);
    ASSIGN_OR_RETURN(bool row, best->Step());
    if (row) {
      totals.best_trial_id = best->Text(0);
      break;
    }
  }
  kept_totals_ = KeptTotals{std::string(sweep_id), sqlite3_total_changes64(db_->raw()), totals};
  return totals;
}

absl::StatusOr<bool> SqliteBackend::HasLiveTrials(absl::string_view sweep_id) {
  // The non-terminal states listed (not the terminal ones excluded), so that the index on
  // (sweep_id, state, ...) answers with a few range seeks.
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kHasLiveTrialsSql));
  s->BindText(1, sweep_id)
      .Bind(2, static_cast<int64_t>(v1::TRIAL_STATE_UNSPECIFIED))
      .Bind(3, static_cast<int64_t>(v1::TRIAL_STATE_PENDING))
      .Bind(4, static_cast<int64_t>(v1::TRIAL_STATE_RUNNING))
      .Bind(5, static_cast<int64_t>(v1::TRIAL_STATE_PAUSED))
      .Bind(6, static_cast<int64_t>(v1::TRIAL_STATE_WAITING));
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row && s->Int(0) != 0;
}

absl::StatusOr<std::optional<std::string>> SqliteBackend::NextPendingTrial(int64_t max_gpus,
                                                                           DeviceKind kind) {
  // References of every running sweep before any other trial: one index walk for each, as
  // "is_reference DESC" first in one ORDER BY would need a sort of all pending trials.
  for (int64_t reference : {1, 0}) {
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kNextPendingTrialSql));
    s->Bind(1, static_cast<int64_t>(v1::Sweep::STATE_RUNNING))
        .Bind(2, static_cast<int64_t>(v1::TRIAL_STATE_PENDING))
        .Bind(3, reference)
        .Bind(4, max_gpus)
        .Bind(5, int64_t{kind == DeviceKind::kGpu});
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) return std::optional<std::string>(s->Text(0));
  }
  return std::optional<std::string>();
}

absl::StatusOr<std::vector<std::string>> SqliteBackend::RunningTrials(
    absl::string_view worker_id, int64_t expires_at_or_before) {
  static constexpr char kSql[] =
      "SELECT trial_id FROM trials WHERE state = ?1 AND lease_expires_unix_ms <= ?2 "
      "AND (?3 = '' OR worker_id = ?3) ORDER BY trial_id";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->Bind(1, static_cast<int64_t>(v1::TRIAL_STATE_RUNNING))
      .Bind(2, expires_at_or_before)
      .BindText(3, worker_id);
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return out;
    out.push_back(s->Text(0));
  }
}

absl::StatusOr<std::vector<TrialRecord>> SqliteBackend::ReadTrials(Statement& s) {
  std::vector<TrialRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(TrialRecord r, ReadTrial(s));
    out.push_back(std::move(r));
  }
}

// Binds ?first = state and the columns ?6.. ?17 shared by InsertTrial and UpdateTrial.
void SqliteBackend::BindTrialColumns(Statement& s, const TrialRecord& r, int first) {
  s.Bind(first, static_cast<int64_t>(r.trial.state()))
      .BindText(6, r.trial.worker_id())
      .Bind(7, r.fencing_token)
      .Bind(8, r.lease_expires_unix_ms)
      .Bind(9, r.trial.last_point().step())
      .Bind(10, r.trial.checkpoint_step())
      .BindBlob(11, r.trial.SerializeAsString())
      .Bind(12, static_cast<int64_t>(GpuNeed(r.trial)))
      .Bind(13, static_cast<int64_t>(RankTier(r.trial)))
      .Bind(14, RankingLoss(r.trial))
      .Bind(15, static_cast<int64_t>(NeedsGpu(r.trial)))
      .Bind(16, r.trial.last_point().tokens())
      .Bind(17, PlannedTokens(r.trial));
}

}  // namespace augur
