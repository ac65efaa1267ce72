#include "scheduler/sqlite_db.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace augur {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  const std::string message = absl::StrCat("sqlite ", what, ": ", sqlite3_errstr(rc),
                                           db != nullptr && sqlite3_errcode(db) == rc
                                               ? absl::StrCat(" (", sqlite3_errmsg(db), ")")
                                               : "");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(message);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(message);
      }
      return absl::InternalError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    default:
      return absl::InternalError(message);
  }
}

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::Check(int rc, const char* what) {
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = SqliteError(db_, rc, what);
}

Statement& Statement::Bind(int index, int64_t value) {
  Check(sqlite3_bind_int64(stmt_, index, value), "bind int");
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  Check(sqlite3_bind_double(stmt_, index, value), "bind double");
  return *this;
}

Statement& Statement::BindText(int index, absl::string_view value) {
  Check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT),
        "bind text");
  return *this;
}

Statement& Statement::BindBlob(int index, const std::string& value) {
  Check(sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT),
        "bind blob");
  return *this;
}

Statement& Statement::BindNull(int index) {
  Check(sqlite3_bind_null(stmt_, index), "bind null");
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  RETURN_IF_ERROR(bind_status_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, sqlite3_sql(stmt_));
}

absl::Status Statement::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return absl::OkStatus();
  }
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, column));
}

std::string Statement::Blob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return "";
  return std::string(static_cast<const char*>(blob), sqlite3_column_bytes(stmt_, column));
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("open ", path));
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return absl::OkStatus();
  absl::Status status = SqliteError(db_, rc, text.substr(0, 80));
  sqlite3_free(error);
  return status;
}

absl::StatusOr<std::unique_ptr<Statement>> SqliteDb::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("prepare ", sql));
    it = statements_.emplace(sql, stmt).first;
  }
  return std::make_unique<Statement>(db_, it->second);
}

absl::StatusOr<int64_t> SqliteDb::QueryInt(const char* sql) {
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::InternalError(absl::StrCat("no row from ", sql));
  return stmt->Int(0);
}

absl::StatusOr<std::string> SqliteDb::QueryText(const char* sql) {
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::InternalError(absl::StrCat("no row from ", sql));
  return stmt->Text(0);
}

}  // namespace augur
