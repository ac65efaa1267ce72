// Whether the store takes the point writer's commits. A failure (a full disk, say) is logged
// once, shown as Sweep.store_warning by GetSweep and ListSweeps until a commit succeeds again,
// and its end is logged. Thread-safe.
#ifndef AUGUR_SCHEDULER_STORE_HEALTH_H_
#define AUGUR_SCHEDULER_STORE_HEALTH_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace augur {

class StoreHealth {
 public:
  explicit StoreHealth(const Clock* clock) : clock_(clock) {}
  // The outcome of one commit.
  void Commit(const absl::Status& status);
  // Empty while commits succeed.
  std::string warning() const;

 private:
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  std::string warning_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_STORE_HEALTH_H_
