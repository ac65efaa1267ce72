// SqliteBackend: loss points, checkpoints, decisions, sweep deletion, workers and the event log
// (sqlite_backend.h).
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/sqlite_backend.h"

namespace augur {
namespace {

// The columns of a point row, in ReadPoint's order.
constexpr char kPointColumns[] =
    "step, tokens, fraction, train_loss, lr, val_loss, wall_time_unix_ms";

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

// The decisions a statement selects (column 0, the blob), in its order.
absl::StatusOr<std::vector<v1::Decision>> ReadDecisions(Statement& s) {
  std::vector<v1::Decision> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(v1::Decision d, ParseBlob<v1::Decision>(s.Blob(0), "decision"));
    out.push_back(std::move(d));
  }
}

}  // namespace

absl::StatusOr<std::optional<v1::LossPoint>> SqliteBackend::LoadPoint(absl::string_view trial_id,
                                                                      int64_t step) {
  static const std::string kSql =
      absl::StrCat("SELECT ", kPointColumns, " FROM points WHERE trial_id = ?1 AND step = ?2");
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql.c_str()));
  s->BindText(1, trial_id).Bind(2, step);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<v1::LossPoint>();
  return std::optional<v1::LossPoint>(ReadPoint(*s));
}

absl::Status SqliteBackend::InsertPoint(absl::string_view trial_id, const v1::LossPoint& p) {
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

absl::StatusOr<std::vector<v1::LossPoint>> SqliteBackend::LoadPoints(absl::string_view trial_id,
                                                                     int64_t from_step) {
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

absl::StatusOr<std::vector<v1::LossPoint>> SqliteBackend::LoadPointsHead(absl::string_view trial_id,
                                                                         double up_to_fraction) {
  // Walks the primary key from the trial's first step and stops at the first point past the
  // fraction, then takes the last point from the key's other end: the pages in between are not
  // read.
  static const std::string kHead =
      absl::StrCat("SELECT ", kPointColumns, " FROM points WHERE trial_id = ?1 ORDER BY step");
  static const std::string kLast = absl::StrCat(
      "SELECT ", kPointColumns, " FROM points WHERE trial_id = ?1 ORDER BY step DESC LIMIT 1");
  std::vector<v1::LossPoint> out;
  {
    ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kHead.c_str()));
    s->BindText(1, trial_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) return out;  // No point past the fraction.
      v1::LossPoint p = ReadPoint(*s);
      if (p.fraction() > up_to_fraction) break;
      out.push_back(std::move(p));
    }
  }
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kLast.c_str()));
  s->BindText(1, trial_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (row) out.push_back(ReadPoint(*s));
  return out;
}

absl::StatusOr<int64_t> SqliteBackend::MaxStep(absl::string_view trial_id) {
  static constexpr char kSql[] = "SELECT COALESCE(MAX(step), 0) FROM points WHERE trial_id = ?1";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, trial_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Int(0) : 0;
}

absl::Status SqliteBackend::UpsertCheckpoint(const v1::CheckpointCommit& c, int64_t committed_ms) {
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

absl::StatusOr<std::optional<v1::CheckpointCommit>> SqliteBackend::LatestCheckpoint(
    absl::string_view trial_id) {
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

absl::StatusOr<bool> SqliteBackend::InsertDecision(absl::string_view sweep_id,
                                                   const v1::Decision& d) {
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

absl::StatusOr<std::vector<v1::Decision>> SqliteBackend::LoadDecisions(absl::string_view sweep_id,
                                                                       int64_t offset,
                                                                       int64_t limit) {
  static constexpr char kSql[] =
      "SELECT decision FROM decisions WHERE sweep_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, sweep_id)
      .Bind(2, limit < 0 ? int64_t{-1} : limit)
      .Bind(3, std::max<int64_t>(0, offset));
  return ReadDecisions(*s);
}

absl::StatusOr<int64_t> SqliteBackend::CountDecisions(absl::string_view sweep_id) {
  return Count("SELECT COUNT(*) FROM decisions WHERE sweep_id = ?1", sweep_id);
}

absl::StatusOr<std::vector<v1::Decision>> SqliteBackend::LoadTrialDecisions(
    absl::string_view trial_id) {
  ASSIGN_OR_RETURN(StmtPtr s,
                   db_->Prepare("SELECT decision FROM decisions WHERE trial_id = ?1 ORDER BY id"));
  s->BindText(1, trial_id);
  return ReadDecisions(*s);
}

absl::StatusOr<int> SqliteBackend::DeleteSweepRows(absl::string_view sweep_id) {
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

absl::Status SqliteBackend::UpsertWorker(const v1::WorkerInfo& w) {
  static constexpr char kSql[] =
      "INSERT OR REPLACE INTO workers (worker_id, last_heartbeat_unix_ms, worker) "
      "VALUES (?1, ?2, ?3)";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->BindText(1, w.worker_id())
      .Bind(2, w.last_heartbeat_unix_ms())
      .BindBlob(3, w.SerializeAsString());
  return s->Run();
}

absl::StatusOr<std::vector<v1::WorkerInfo>> SqliteBackend::LoadWorkers() {
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

absl::StatusOr<int64_t> SqliteBackend::AppendEvent(const StoreEvent& e) {
  static constexpr char kSql[] =
      "INSERT INTO events (unix_ms, kind, sweep_id, trial_id, detail) VALUES (?1, ?2, ?3, ?4, "
      "?5)";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->Bind(1, e.unix_ms).BindText(2, e.kind).BindText(3, e.sweep_id).BindText(4, e.trial_id);
  s->BindText(5, e.detail);
  RETURN_IF_ERROR(s->Run());
  return sqlite3_last_insert_rowid(db_->raw());
}

absl::StatusOr<std::vector<StoreEvent>> SqliteBackend::LoadEvents(int64_t after_seq, int limit) {
  static constexpr char kSql[] =
      "SELECT seq, unix_ms, kind, sweep_id, trial_id, detail FROM events WHERE seq > ?1 "
      "ORDER BY seq LIMIT ?2";
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(kSql));
  s->Bind(1, after_seq).Bind(2, limit > 0 ? static_cast<int64_t>(limit) : int64_t{-1});
  std::vector<StoreEvent> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return out;
    out.push_back(StoreEvent{s->Int(0), s->Int(1), s->Text(2), s->Text(3), s->Text(4), s->Text(5)});
  }
}

}  // namespace augur
