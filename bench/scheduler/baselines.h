// Baselines measured in the same run as the scheduler benchmark, on the same disk:
// - raw SQLite: loss points inserted into a table shaped like the store's `points` table, in
//   WAL mode with synchronous=FULL (the store's settings), one row per transaction and then
//   a fixed number of rows per transaction;
// - Optuna's RDB storage on a sqlite:/// file: trial.report(value, step) calls per second,
//   timed by optuna_report.py under the system Python.
#ifndef AUGUR_BENCH_SCHEDULER_BASELINES_H_
#define AUGUR_BENCH_SCHEDULER_BASELINES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace augur::bench {

struct RateResult {
  int64_t count = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? count / seconds : 0; }
};

// Inserts points for `duration` with `rows_per_txn` rows per BEGIN/COMMIT into a fresh
// database at `db_path`.
absl::StatusOr<RateResult> RawSqliteInserts(const std::string& db_path, int rows_per_txn,
                                            absl::Duration duration);

struct OptunaResult {
  std::string version;
  RateResult report;            // trial.report(value, step) alone.
  RateResult report_and_prune;  // trial.report then trial.should_prune (MedianPruner).
};

// Runs `script` (optuna_report.py) with `python` on a fresh sqlite file in `dir`.
// UNAVAILABLE (with the reason) when Python or Optuna is missing.
absl::StatusOr<OptunaResult> OptunaReports(const std::string& python, const std::string& script,
                                           const std::string& dir, absl::Duration duration);

}  // namespace augur::bench

#endif  // AUGUR_BENCH_SCHEDULER_BASELINES_H_
