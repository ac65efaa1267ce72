// A thin RAII layer over the sqlite3 C API: one connection, a cache of prepared statements,
// and SQLite result codes converted to absl::Status at this edge.
//
// Thread safety: none; the owner serializes access (BackedStore's mutex does).
#ifndef AUGUR_SCHEDULER_SQLITE_DB_H_
#define AUGUR_SCHEDULER_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace augur {

// Maps an SQLite result code to a status: BUSY/LOCKED/FULL/IOERR -> UNAVAILABLE (retry),
// unique/primary-key violations -> ALREADY_EXISTS, CORRUPT/NOTADB -> DATA_LOSS, the rest
// INTERNAL. The message names `what` and SQLite's own message.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

// A prepared statement borrowed from the cache; reset and unbound when it goes out of scope.
// Bind* indices and column indices are as in SQL (binds from 1, columns from 0).
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& BindText(int index, absl::string_view value);
  Statement& BindBlob(int index, const std::string& value);
  Statement& BindNull(int index);

  // Advances: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps until done (for statements that return no rows).
  absl::Status Run();

  int64_t Int(int column) const;
  double Double(int column) const;
  bool IsNull(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;

 private:
  void Check(int rc, const char* what);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  absl::Status bind_status_;
};

class SqliteDb {
 public:
  // Opens (creating if needed) the database file at `path` with extended result codes.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  sqlite3* raw() { return db_; }
  // Runs one or more SQL statements that return no rows we need.
  absl::Status Exec(absl::string_view sql);
  // The cached statement for `sql` (prepared on first use).
  absl::StatusOr<std::unique_ptr<Statement>> Prepare(const char* sql);
  // Runs a query returning one integer (e.g. a PRAGMA).
  absl::StatusOr<int64_t> QueryInt(const char* sql);
  // Runs a query returning one text value.
  absl::StatusOr<std::string> QueryText(const char* sql);

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  absl::flat_hash_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SQLITE_DB_H_
