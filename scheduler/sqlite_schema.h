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

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SQLITE_SCHEMA_H_
