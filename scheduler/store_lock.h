// One scheduler per store: an exclusive advisory lock (flock) on `DB.lock` beside the SQLite
// file, held for as long as the StoreLock lives. The kernel drops it when the process dies, so
// a scheduler killed with -9 leaves nothing to clean up. (flock is local to one machine; on
// network file systems that do not forward it, keep the store on local disk, as SQLite's WAL
// mode requires anyway.)
#ifndef AUGUR_SCHEDULER_STORE_LOCK_H_
#define AUGUR_SCHEDULER_STORE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace augur {

class StoreLock {
 public:
  // FAILED_PRECONDITION naming the store and the holder's pid when another process (or another
  // StoreLock of this one) holds it; UNAVAILABLE if the lock file cannot be created.
  static absl::StatusOr<std::unique_ptr<StoreLock>> Acquire(const std::string& db_path);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_STORE_LOCK_H_
