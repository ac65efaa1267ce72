#include "bench/scheduler/baselines.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace augur::bench {
namespace {

// The store's points table (scheduler/sqlite_schema.cc), without the foreign key.
constexpr char kSchema[] =
    "CREATE TABLE points (trial_id TEXT NOT NULL, step INTEGER NOT NULL, tokens INTEGER NOT "
    "NULL, fraction REAL NOT NULL, train_loss REAL NOT NULL, lr REAL NOT NULL, val_loss REAL, "
    "wall_time_unix_ms INTEGER NOT NULL, PRIMARY KEY (trial_id, step)) WITHOUT ROWID";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

absl::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status st = absl::InternalError(absl::StrCat(sql, ": ", err ? err : "?"));
    sqlite3_free(err);
    return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RateResult> RawSqliteInserts(const std::string& db_path, int rows_per_txn,
                                            absl::Duration duration) {
  ::unlink(db_path.c_str());
  sqlite3* raw = nullptr;
  if (sqlite3_open(db_path.c_str(), &raw) != SQLITE_OK) {
    sqlite3_close(raw);
    return absl::InternalError(absl::StrCat("cannot open ", db_path));
  }
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  for (const char* sql : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", kSchema}) {
    if (absl::Status st = Exec(db.get(), sql); !st.ok()) return st;
  }
  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), "INSERT INTO points VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)",
                         -1, &raw_stmt, nullptr) != SQLITE_OK) {
    return absl::InternalError(sqlite3_errmsg(db.get()));
  }
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt(raw_stmt);
  RateResult r;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  int64_t step = 0;
  while (absl::Now() < end) {
    if (absl::Status st = Exec(db.get(), "BEGIN"); !st.ok()) return st;
    for (int i = 0; i < rows_per_txn; ++i) {
      ++step;
      const double f = static_cast<double>(step) / 1e7;
      sqlite3_bind_text(stmt.get(), 1, "bench/t000", -1, SQLITE_STATIC);
      sqlite3_bind_int64(stmt.get(), 2, step);
      sqlite3_bind_int64(stmt.get(), 3, step * 4096);
      sqlite3_bind_double(stmt.get(), 4, f);
      sqlite3_bind_double(stmt.get(), 5, 2.0 * (1.0 - 0.5 * f) + 0.002 * std::sin(0.37 * step));
      sqlite3_bind_double(stmt.get(), 6, 1e-3);
      sqlite3_bind_int64(stmt.get(), 7, absl::ToUnixMillis(start));
      if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
        return absl::InternalError(sqlite3_errmsg(db.get()));
      }
      sqlite3_reset(stmt.get());
    }
    if (absl::Status st = Exec(db.get(), "COMMIT"); !st.ok()) return st;
    r.count += rows_per_txn;
  }
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return r;
}

absl::StatusOr<OptunaResult> OptunaReports(const std::string& python, const std::string& script,
                                           const std::string& dir, absl::Duration duration) {
  if (::access(python.c_str(), X_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(python, " not found"));
  }
  if (::access(script.c_str(), R_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(script, " not found"));
  }
  const std::string db = absl::StrCat(dir, "/optuna.db");
  ::unlink(db.c_str());
  const std::string cmd = absl::StrCat("'", python, "' '", script, "' '", db, "' ",
                                       absl::ToDoubleSeconds(duration), " 2>&1");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return absl::UnavailableError(absl::StrCat("cannot run ", cmd));
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  const int rc = ::pclose(pipe);
  // The JSON is the last line; anything before it is a warning.
  const size_t brace = output.rfind("\n{");
  const std::string line = output.substr(brace == std::string::npos ? 0 : brace + 1);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (rc != 0 || j.is_discarded() || !j.is_object()) {
    return absl::UnavailableError(
        absl::StrCat("optuna_report.py failed (exit ", rc, "): ", output));
  }
  if (j.contains("error")) return absl::UnavailableError(j["error"].get<std::string>());
  OptunaResult r;
  r.version = j.value("version", "?");
  r.report.count = j["report"]["count"].get<int64_t>();
  r.report.seconds = j["report"]["seconds"].get<double>();
  r.report_and_prune.count = j["report_and_prune"]["count"].get<int64_t>();
  r.report_and_prune.seconds = j["report_and_prune"]["seconds"].get<double>();
  return r;
}

}  // namespace augur::bench
