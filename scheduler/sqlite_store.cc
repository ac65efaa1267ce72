#include "scheduler/sqlite_store.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/ranking.h"
#include "scheduler/sqlite_db.h"
#include "scheduler/sqlite_schema.h"

namespace augur {
namespace {

using StmtPtr = std::unique_ptr<Statement>;

template <typename Proto>
absl::StatusOr<Proto> ParseBlob(const std::string& blob, const char* what) {
  Proto proto;
  if (!proto.ParseFromString(blob)) {
    return absl::DataLossError(absl::StrCat("cannot parse stored ", what));
  }
  return proto;
}

// Column lists shared by the SELECTs and their readers below.
constexpr char kTrialColumns[] = "trial, ordinal, fencing_token, lease_expires_unix_ms";
constexpr char kPointColumns[] =
    "step, tokens, fraction, train_loss, lr, val_loss, wall_time_unix_ms";

absl::StatusOr<TrialRecord> ReadTrial(const Statement& s) {
  TrialRecord r;
  ASSIGN_OR_RETURN(r.trial, ParseBlob<v1::Trial>(s.Blob(0), "trial"));
  r.ordinal = s.Int(1);
  r.fencing_token = s.Int(2);
  r.lease_expires_unix_ms = s.Int(3);
  return r;
}

v1::LossPoint ReadPoint(const Statement& s) {
  v1::LossPoint p;
  p.set_step(s.Int(0));
  p.set_tokens(s.Int(1));
  p.set_fraction(s.Double(2));
  p.set_train_loss(s.Double(3));
  p.set_lr(s.Double(4));
  if (!s.IsNull(5)) p.set_val_loss(s.Double(5));
  p.set_wall_time_unix_ms(s.Int(6));
  return p;
}

class SqliteBackend : public StoreBackend {
 public:
  explicit SqliteBackend(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  // IMMEDIATE takes the write lock up front, so a transaction never fails half-way with BUSY
  // when it upgrades from reading to writing.
  absl::Status Begin() override { return Run("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return Run("COMMIT"); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_->raw())) (void)Run("ROLLBACK");
  }

  absl::StatusOr<int64_t> InsertSweep(const v1::Sweep& sweep) override {
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
  absl::StatusOr<std::optional<SweepRecord>> LoadSweep(absl::string_view sweep_id) override {
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
  absl::Status UpdateSweep(const v1::Sweep& sweep) override {
    static constexpr char kSql[] = "UPDATE sweeps SET state = ?2, sweep = ?3 WHERE sweep_id = ?1";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->BindText(1, sweep.sweep_id())
        .Bind(2, static_cast<int64_t>(sweep.state()))
        .BindBlob(3, sweep.SerializeAsString());
    return s->Run();
  }
  absl::StatusOr<std::vector<SweepRecord>> LoadSweepsBefore(int64_t before_seq,
                                                            int limit) override {
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

  absl::Status InsertTrial(const TrialRecord& r) override {
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
  absl::StatusOr<std::optional<TrialRecord>> LoadTrial(absl::string_view trial_id) override {
    static const std::string kSql =
        absl::StrCat("SELECT ", kTrialColumns, " FROM trials WHERE trial_id = ?1");
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
    s->BindText(1, trial_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<TrialRecord>();
    ASSIGN_OR_RETURN(TrialRecord r, ReadTrial(*s));
    return std::optional<TrialRecord>(std::move(r));
  }
  absl::Status UpdateTrial(const TrialRecord& r) override {
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
  absl::StatusOr<std::vector<TrialRecord>> LoadTrials(absl::string_view sweep_id,
                                                      int64_t after_ordinal,
                                                      int64_t limit) override {
    static const std::string kSql =
        absl::StrCat("SELECT ", kTrialColumns,
                     " FROM trials WHERE sweep_id = ?1 AND ordinal > ?2 ORDER BY ordinal LIMIT ?3");
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
    s->BindText(1, sweep_id).Bind(2, after_ordinal).Bind(3, limit < 0 ? int64_t{-1} : limit);
    return ReadTrials(*s);
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadRankedTrials(absl::string_view sweep_id,
                                                            int64_t offset,
                                                            int64_t limit) override {
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kRankedTrialsSql));
    s->BindText(1, sweep_id)
        .Bind(2, limit < 0 ? int64_t{-1} : limit)
        .Bind(3, std::max<int64_t>(0, offset));
    return ReadTrials(*s);
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadTrialsInState(absl::string_view sweep_id,
                                                             v1::TrialState state) override {
    static const std::string kSql =
        absl::StrCat("SELECT ", kTrialColumns,
                     " FROM trials WHERE sweep_id = ?1 AND state = ?2 ORDER BY ordinal");
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
    s->BindText(1, sweep_id).Bind(2, static_cast<int64_t>(state));
    return ReadTrials(*s);
  }
  absl::StatusOr<int64_t> CountTrials(absl::string_view sweep_id) override {
    return Count("SELECT COUNT(*) FROM trials WHERE sweep_id = ?1", sweep_id);
  }
  absl::StatusOr<TrialTotals> SumTrials(absl::string_view sweep_id) override {
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
    return totals;
  }
  absl::StatusOr<bool> HasLiveTrials(absl::string_view sweep_id) override {
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
  absl::StatusOr<std::optional<std::string>> NextPendingTrial(int64_t max_gpus,
                                                              DeviceKind kind) override {
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
  absl::StatusOr<std::vector<std::string>> RunningTrials(absl::string_view worker_id,
                                                         int64_t expires_at_or_before) override {
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

  absl::StatusOr<std::optional<v1::LossPoint>> LoadPoint(absl::string_view trial_id,
                                                         int64_t step) override {
    static const std::string kSql =
        absl::StrCat("SELECT ", kPointColumns, " FROM points WHERE trial_id = ?1 AND step = ?2");
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
    s->BindText(1, trial_id).Bind(2, step);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<v1::LossPoint>();
    return std::optional<v1::LossPoint>(ReadPoint(*s));
  }
  absl::Status InsertPoint(absl::string_view trial_id, const v1::LossPoint& p) override {
    static const std::string kSql = absl::StrCat("INSERT INTO points (trial_id, ", kPointColumns,
                                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
    s->BindText(1, trial_id)
        .Bind(2, p.step())
        .Bind(3, p.tokens())
        .Bind(4, p.fraction())
        .Bind(5, p.train_loss())
        .Bind(6, p.lr());
    if (p.has_val_loss()) {
      s->Bind(7, p.val_loss());
    } else {
      s->BindNull(7);
    }
    s->Bind(8, p.wall_time_unix_ms());
    return s->Run();
  }
  absl::StatusOr<std::vector<v1::LossPoint>> LoadPoints(absl::string_view trial_id,
                                                        int64_t from_step) override {
    static const std::string kSql = absl::StrCat(
        "SELECT ", kPointColumns, " FROM points WHERE trial_id = ?1 AND step >= ?2 ORDER BY step");
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
    s->BindText(1, trial_id).Bind(2, from_step);
    std::vector<v1::LossPoint> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return out;
      out.push_back(ReadPoint(*s));
    }
  }
  absl::StatusOr<int64_t> MaxStep(absl::string_view trial_id) override {
    static constexpr char kSql[] = "SELECT COALESCE(MAX(step), 0) FROM points WHERE trial_id = ?1";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->BindText(1, trial_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : 0;
  }

  absl::Status UpsertCheckpoint(const v1::CheckpointCommit& c, int64_t committed_ms) override {
    static constexpr char kSql[] =
        "INSERT OR REPLACE INTO checkpoints (trial_id, step, fencing_token, path, size_bytes, "
        "sha256, committed_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->BindText(1, c.trial_id())
        .Bind(2, c.step())
        .Bind(3, c.fencing_token())
        .BindText(4, c.path())
        .Bind(5, c.size_bytes())
        .BindText(6, c.sha256())
        .Bind(7, committed_ms);
    return s->Run();
  }
  absl::StatusOr<std::optional<v1::CheckpointCommit>> LatestCheckpoint(
      absl::string_view trial_id) override {
    static constexpr char kSql[] =
        "SELECT step, fencing_token, path, size_bytes, sha256 FROM checkpoints "
        "WHERE trial_id = ?1 ORDER BY step DESC LIMIT 1";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->BindText(1, trial_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<v1::CheckpointCommit>();
    v1::CheckpointCommit c;
    c.set_trial_id(std::string(trial_id));
    c.set_step(s->Int(0));
    c.set_fencing_token(s->Int(1));
    c.set_path(s->Text(2));
    c.set_size_bytes(s->Int(3));
    c.set_sha256(s->Text(4));
    return std::optional<v1::CheckpointCommit>(std::move(c));
  }

  absl::StatusOr<bool> InsertDecision(absl::string_view sweep_id, const v1::Decision& d) override {
    static constexpr char kSql[] =
        "INSERT OR IGNORE INTO decisions (trial_id, sweep_id, milestone_fraction, action, "
        "decided_unix_ms, decision) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->BindText(1, d.trial_id())
        .BindText(2, sweep_id)
        .Bind(3, d.milestone_fraction())
        .Bind(4, static_cast<int64_t>(d.action()))
        .Bind(5, d.decided_unix_ms())
        .BindBlob(6, d.SerializeAsString());
    RETURN_IF_ERROR(s->Run());
    return sqlite3_changes(db_->raw()) == 1;
  }
  absl::StatusOr<std::vector<v1::Decision>> LoadDecisions(absl::string_view sweep_id,
                                                          int64_t offset, int64_t limit) override {
    static constexpr char kSql[] =
        "SELECT decision FROM decisions WHERE sweep_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->BindText(1, sweep_id)
        .Bind(2, limit < 0 ? int64_t{-1} : limit)
        .Bind(3, std::max<int64_t>(0, offset));
    std::vector<v1::Decision> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return out;
      ASSIGN_OR_RETURN(v1::Decision d, ParseBlob<v1::Decision>(s->Blob(0), "decision"));
      out.push_back(std::move(d));
    }
  }
  absl::StatusOr<int64_t> CountDecisions(absl::string_view sweep_id) override {
    return Count("SELECT COUNT(*) FROM decisions WHERE sweep_id = ?1", sweep_id);
  }

  absl::StatusOr<int> DeleteSweepRows(absl::string_view sweep_id) override {
    static constexpr const char* kChildren[] = {
        "DELETE FROM points WHERE trial_id IN (SELECT trial_id FROM trials WHERE sweep_id = ?1)",
        "DELETE FROM checkpoints WHERE trial_id IN "
        "(SELECT trial_id FROM trials WHERE sweep_id = ?1)",
        "DELETE FROM decisions WHERE sweep_id = ?1"};
    for (const char* sql : kChildren) {
      ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(sql));
      s->BindText(1, sweep_id);
      RETURN_IF_ERROR(s->Run());
    }
    ASSIGN_OR_RETURN(StmtPtr trials, db_->Prepare("DELETE FROM trials WHERE sweep_id = ?1"));
    trials->BindText(1, sweep_id);
    RETURN_IF_ERROR(trials->Run());
    const int removed = sqlite3_changes(db_->raw());
    ASSIGN_OR_RETURN(StmtPtr sweep, db_->Prepare("DELETE FROM sweeps WHERE sweep_id = ?1"));
    sweep->BindText(1, sweep_id);
    RETURN_IF_ERROR(sweep->Run());
    return removed;
  }

  absl::Status UpsertWorker(const v1::WorkerInfo& w) override {
    static constexpr char kSql[] =
        "INSERT OR REPLACE INTO workers (worker_id, last_heartbeat_unix_ms, worker) "
        "VALUES (?1, ?2, ?3)";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->BindText(1, w.worker_id())
        .Bind(2, w.last_heartbeat_unix_ms())
        .BindBlob(3, w.SerializeAsString());
    return s->Run();
  }
  absl::StatusOr<std::vector<v1::WorkerInfo>> LoadWorkers() override {
    static constexpr char kSql[] = "SELECT worker FROM workers ORDER BY worker_id";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    std::vector<v1::WorkerInfo> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return out;
      ASSIGN_OR_RETURN(v1::WorkerInfo w, ParseBlob<v1::WorkerInfo>(s->Blob(0), "worker"));
      out.push_back(std::move(w));
    }
  }

  absl::StatusOr<int64_t> AppendEvent(const StoreEvent& e) override {
    static constexpr char kSql[] =
        "INSERT INTO events (unix_ms, kind, sweep_id, trial_id, detail) VALUES (?1, ?2, ?3, ?4, "
        "?5)";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->Bind(1, e.unix_ms).BindText(2, e.kind).BindText(3, e.sweep_id).BindText(4, e.trial_id);
    s->BindText(5, e.detail);
    RETURN_IF_ERROR(s->Run());
    return sqlite3_last_insert_rowid(db_->raw());
  }
  absl::StatusOr<std::vector<StoreEvent>> LoadEvents(int64_t after_seq, int limit) override {
    static constexpr char kSql[] =
        "SELECT seq, unix_ms, kind, sweep_id, trial_id, detail FROM events WHERE seq > ?1 "
        "ORDER BY seq LIMIT ?2";
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
    s->Bind(1, after_seq).Bind(2, limit > 0 ? static_cast<int64_t>(limit) : int64_t{-1});
    std::vector<StoreEvent> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return out;
      out.push_back(
          StoreEvent{s->Int(0), s->Int(1), s->Text(2), s->Text(3), s->Text(4), s->Text(5)});
    }
  }

 private:
  absl::Status Run(const char* sql) {
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(sql));
    return s->Run();
  }
  // A query of one count with the sweep id as ?1.
  absl::StatusOr<int64_t> Count(const char* sql, absl::string_view sweep_id) {
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(sql));
    s->BindText(1, sweep_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : 0;
  }
  static absl::StatusOr<std::vector<TrialRecord>> ReadTrials(Statement& s) {
    std::vector<TrialRecord> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      ASSIGN_OR_RETURN(TrialRecord r, ReadTrial(s));
      out.push_back(std::move(r));
    }
  }
  // Binds ?first = state and the columns ?6.. ?17 shared by InsertTrial and UpdateTrial.
  static void BindTrialColumns(Statement& s, const TrialRecord& r, int first) {
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

  std::unique_ptr<SqliteDb> db_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StoreBackend>> OpenSqliteBackend(
    const std::string& path, const SqliteStore::Options& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA busy_timeout = ", options.busy_timeout_ms)));
  if (options.check_integrity) {
    // Corrupt pages are found at open, not by the first call that happens to read them.
    // quick_check reads every page once (no index cross-check): about a second per GB.
    auto verdict = db->QueryText("PRAGMA quick_check(1)");
    if (!verdict.ok() || *verdict != "ok") {
      std::string why = verdict.ok() ? *verdict : std::string(verdict.status().message());
      for (char& c : why) c = c == '\n' ? ';' : c;  // One line.
      return absl::DataLossError(
          absl::StrCat("store ", path, " is corrupt (", why,
                       "); restore it from a backup (sqlite3 DB \".backup COPY\")"));
    }
  }
  ASSIGN_OR_RETURN(std::string mode, db->QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot put ", path, " in WAL mode (journal_mode is ", mode, ")"));
  }
  RETURN_IF_ERROR(db->Exec(options.durability == SqliteStore::Durability::kPowerLoss
                               ? "PRAGMA synchronous = FULL"
                               : "PRAGMA synchronous = NORMAL"));
  RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  RETURN_IF_ERROR(MigrateSchema(*db, LatestSchemaVersion()));
  return std::unique_ptr<StoreBackend>(std::make_unique<SqliteBackend>(std::move(db)));
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const Clock& clock,
                                                               Options options) {
  ASSIGN_OR_RETURN(std::unique_ptr<StoreBackend> backend, OpenSqliteBackend(path, options));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(backend), clock, options.random));
}

}  // namespace augur
