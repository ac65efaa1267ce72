// The SqliteStore schema and its ordered migrations (docs/store.md lists the tables).
//
// The schema version lives in PRAGMA user_version. Migration v (1-based) turns a version v-1
// database into version v; migrations are never edited once released, only appended.
#ifndef AUGUR_SCHEDULER_SQLITE_SCHEMA_H_
#define AUGUR_SCHEDULER_SQLITE_SCHEMA_H_

#include "absl/status/status.h"
#include "scheduler/sqlite_db.h"

namespace augur {

// The version this build writes.
int LatestSchemaVersion();

// Brings the database to `target_version` (<= LatestSchemaVersion()) in one transaction:
// either every pending migration and the new user_version commit, or nothing does.
// FAILED_PRECONDITION if the file's version is newer than `target_version` (a newer build
// wrote it), naming both versions.
absl::Status MigrateSchema(SqliteDb& db, int target_version);

// The lease-choice query of SqliteStore, kept next to the indexes it relies on (v3) so that a
// test can check its plan: ?1 sweep state RUNNING, ?2 trial state PENDING, ?3 is_reference
// (0/1), ?4 the largest GPU need that fits, ?5 1 if GPU-only trials may be taken (0 for a
// CPU-only worker). Returns the trial_id of the first such trial by
// sweep seq then ordinal, walking sweeps_by_state then trials_by_sweep_state (no sort).
extern const char kNextPendingTrialSql[];
// Sweep ?1's trials by state: state, count, tokens spent, tokens planned by the trials that
// are not references, and tokens left (planned minus spent, at least 0). trials_by_totals (v4)
// covers it: no trial row (nor its blob) is read.
extern const char kTrialTotalsSql[];
// The first trial of sweep ?1 in ranking tier ?2 with a known (finite) loss, through
// trials_by_rank: the sweep's best is tier 0's, else tier 1's (references never).
extern const char kBestTrialSql[];
// The rowids of a page of sweep ?1's ranking (ranking.h's order): ?2 rows at most (-1: all),
// skipping ?3, from trials_by_rank (v4) alone: no sort, no trial row read (the rows are then
// read by rowid, in storage order).
extern const char kRankedRowidsSql[];
// The number of live (non-terminal) trials of sweep ?1; ?2..?5 are the live states.
extern const char kHasLiveTrialsSql[];

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SQLITE_SCHEMA_H_
