#include "common/clock.h"

#include <vector>

namespace augur {
namespace {

class WallClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& cond,
                         absl::Time deadline) const override {
    if (deadline == absl::InfiniteFuture()) {
      mu.Await(cond);
      return true;
    }
    return mu.AwaitWithDeadline(cond, deadline);
  }
};

struct FakeWait {
  const FakeClock* clock;
  const absl::Condition* cond;
  absl::Time deadline;
};

bool FakeWaitOver(FakeWait* w) { return w->cond->Eval() || w->clock->Now() >= w->deadline; }

}  // namespace

Clock& RealClock() {
  static WallClock* const clock = new WallClock();
  return *clock;
}

void FakeClock::Advance(absl::Duration d) {
  {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  std::vector<absl::Mutex*> waiting;
  {
    absl::MutexLock lock(&waiters_mu_);
    for (const auto& [mu, n] : waiters_) waiting.push_back(mu);
  }
  // Releasing a mutex makes absl evaluate the conditions of the threads waiting on it; a
  // waiter that has not started waiting yet reads the new time itself.
  for (absl::Mutex* mu : waiting) {
    mu->Lock();
    mu->Unlock();
  }
}

bool FakeClock::AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& cond,
                                  absl::Time deadline) const {
  {
    absl::MutexLock lock(&waiters_mu_);
    ++waiters_[&mu];
  }
  FakeWait wait{this, &cond, deadline};
  mu.Await(absl::Condition(&FakeWaitOver, &wait));
  {
    absl::MutexLock lock(&waiters_mu_);
    if (--waiters_[&mu] == 0) waiters_.erase(&mu);
  }
  return cond.Eval();
}

}  // namespace augur
