// MemoryStore: the Store fake for tests, with exactly SqliteStore's semantics (both are
// BackedStores; only the row storage differs). Nothing survives the object.
//
// Thread safety: as Store (calls are serialized). The clock must outlive the store.
#ifndef AUGUR_SCHEDULER_MEMORY_STORE_H_
#define AUGUR_SCHEDULER_MEMORY_STORE_H_

#include <memory>

#include "common/clock.h"
#include "common/random.h"
#include "scheduler/backed_store.h"

namespace augur {

// The bare row storage of MemoryStore, for tests that wrap a backend (e.g. to fail a
// primitive half-way through a transaction).
std::unique_ptr<StoreBackend> NewMemoryBackend();

class MemoryStore : public BackedStore {
 public:
  // `random` draws fencing tokens (nullptr: the operating system's).
  explicit MemoryStore(const Clock& clock, Random* random = nullptr);
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_MEMORY_STORE_H_
