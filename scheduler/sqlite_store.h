// SqliteStore: the durable Store, one SQLite file (docs/store.md: schema, durability,
// migrations, fencing).
//
// Durability: WAL journal with synchronous=FULL by default, so a call that returned OK has
// been fsynced to the WAL and survives kill -9 of the process and a power loss. Batching writes
// (ApplyBatch) amortizes the fsync. Durability::kProcessCrash selects synchronous=NORMAL: still
// safe against kill -9 (the WAL is in the OS page cache), but the last commits may be lost on a
// power failure or kernel crash.
//
// Thread safety: one connection behind BackedStore's mutex; calls are serialized. A second
// process may read the file concurrently (WAL), but only one SqliteStore may write it.
#ifndef AUGUR_SCHEDULER_SQLITE_STORE_H_
#define AUGUR_SCHEDULER_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/random.h"
#include "scheduler/backed_store.h"

namespace augur {

class SqliteStore : public BackedStore {
 public:
  enum class Durability {
    kPowerLoss,     // synchronous=FULL (default).
    kProcessCrash,  // synchronous=NORMAL.
  };
  struct Options {
    Durability durability = Durability::kPowerLoss;
    // How long a write waits for a lock held by another connection before UNAVAILABLE.
    int busy_timeout_ms = 5000;
    // Draws fencing tokens (nullptr: the operating system's); must outlive the store.
    Random* random = nullptr;
    // PRAGMA quick_check at open: DATA_LOSS naming the file if it finds corruption.
    bool check_integrity = true;
  };

  // Opens or creates the store at `path` and migrates it to LatestSchemaVersion() in one
  // transaction. FAILED_PRECONDITION if the file has a newer schema version than this build
  // knows; UNAVAILABLE if it cannot be opened; DATA_LOSS if it is corrupt (check_integrity).
  // The clock must outlive the store.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const Clock& clock, Options options);
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const Clock& clock) {
    return Open(path, clock, Options());
  }

 private:
  SqliteStore(std::unique_ptr<StoreBackend> backend, const Clock& clock, Random* random)
      : BackedStore(std::move(backend), clock, random) {}
};

// The bare row storage of SqliteStore (opened, configured and migrated as by Open), for
// tests that wrap a backend, e.g. to fail a primitive half-way through a transaction.
absl::StatusOr<std::unique_ptr<StoreBackend>> OpenSqliteBackend(
    const std::string& path, const SqliteStore::Options& options);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SQLITE_STORE_H_
