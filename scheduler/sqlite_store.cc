#include "scheduler/sqlite_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/sqlite_backend.h"
#include "scheduler/sqlite_db.h"
#include "scheduler/sqlite_schema.h"

namespace augur {

void SqliteBackend::Rollback() {
  kept_totals_.reset();  // It may count a change that is now undone.
  if (!sqlite3_get_autocommit(db_->raw())) (void)Run("ROLLBACK");
}

absl::Status SqliteBackend::Run(const char* sql) {
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(sql));
  return s->Run();
}

// A query of one count with the sweep id as ?1.
absl::StatusOr<int64_t> SqliteBackend::Count(const char* sql, absl::string_view sweep_id) {
  ASSIGN_OR_RETURN(StmtPtr s, db_->Prepare(sql));
  s->BindText(1, sweep_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Int(0) : 0;
}

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
