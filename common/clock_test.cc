// Timed waits on the injected clock: a FakeClock wakes a waiter when it is advanced past the
// waiter's deadline, and a condition that comes true first wins. Nothing here sleeps.
#include "common/clock.h"

#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/random.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

struct Flag {
  absl::Mutex mu;
  bool set ABSL_GUARDED_BY(mu) = false;
};

bool IsSet(Flag* f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mu) { return f->set; }

// Waits on `flag` until `deadline` on `clock`; returns what AwaitWithDeadline returned.
bool WaitOn(const Clock& clock, Flag& flag, absl::Time deadline) {
  absl::MutexLock lock(&flag.mu);
  return clock.AwaitWithDeadline(flag.mu, absl::Condition(&IsSet, &flag), deadline);
}

TEST(FakeClockWait, ReturnsAtOnceWhenTheConditionHoldsOrTheDeadlinePassed) {
  FakeClock clock;
  Flag flag;
  EXPECT_FALSE(WaitOn(clock, flag, clock.Now()));  // Deadline reached: no wait.
  {
    absl::MutexLock lock(&flag.mu);
    flag.set = true;
  }
  EXPECT_TRUE(WaitOn(clock, flag, absl::InfiniteFuture()));
}

TEST(FakeClockWait, AdvancingPastTheDeadlineWakesTheWaiter) {
  FakeClock clock;
  Flag flag;
  const absl::Time deadline = clock.Now() + absl::Seconds(10);
  bool result = true;
  std::thread waiter([&] { result = WaitOn(clock, flag, deadline); });
  clock.Advance(absl::Seconds(4));  // Not yet: the waiter may or may not be waiting by now.
  clock.Advance(absl::Seconds(6));  // Exactly at the deadline.
  waiter.join();                    // Returns only if the advance woke it (or it saw the time).
  EXPECT_FALSE(result);
}

TEST(FakeClockWait, AConditionThatComesTrueBeforeTheDeadlineWins) {
  FakeClock clock;
  Flag flag;
  bool result = false;
  std::thread waiter([&] { result = WaitOn(clock, flag, clock.Now() + absl::Hours(1)); });
  {
    absl::MutexLock lock(&flag.mu);
    flag.set = true;
  }
  waiter.join();
  EXPECT_TRUE(result);
  EXPECT_EQ(clock.NowUnixMs(), 1'700'000'000'000);  // The clock did not move.
}

TEST(FakeClockWait, OneAdvanceWakesEveryWaiterWhoseDeadlineItPasses) {
  FakeClock clock;
  Flag a, b;
  const absl::Time t0 = clock.Now();
  std::thread first([&] { WaitOn(clock, a, t0 + absl::Seconds(1)); });
  std::thread second([&] { WaitOn(clock, b, t0 + absl::Seconds(2)); });
  clock.Advance(absl::Seconds(2));
  first.join();
  second.join();
}

TEST(RealClockWait, TimesOutAtAPastDeadlineAndSeesATrueCondition) {
  Flag flag;
  EXPECT_FALSE(WaitOn(RealClock(), flag, RealClock().Now() - absl::Seconds(1)));
  {
    absl::MutexLock lock(&flag.mu);
    flag.set = true;
  }
  EXPECT_TRUE(WaitOn(RealClock(), flag, absl::InfiniteFuture()));
}

TEST(SeededRandom, RepeatsItsSequenceAndDiffersBySeed) {
  SeededRandom a(7), b(7), c(8);
  const uint64_t first = a.Next();
  EXPECT_EQ(first, b.Next());
  EXPECT_NE(first, c.Next());
  EXPECT_NE(a.Next(), first);
}

TEST(SystemRandom, DrawsDifferentValues) {
  // Two equal 64-bit draws from the OS would be a broken source (chance 2^-64).
  EXPECT_NE(SystemRandom().Next(), SystemRandom().Next());
}

}  // namespace
}  // namespace augur
