// CommitPriority and Activity at their boundary, on a FakeClock: the writer waits for a claim to
// end, but never past the claim's start plus the yield; WaitForChange wakes on a change
// and gives up at its deadline on the clock.
#include "scheduler/commit_priority.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "scheduler/activity.h"

namespace augur {
namespace {

TEST(CommitPriority, NoClaimNoWait) {
  FakeClock clock;
  CommitPriority priority(&clock, absl::Milliseconds(30));
  priority.AwaitTurn();  // Returns at once (a wait here would hang the test).
}

TEST(CommitPriority, TheWriterWaitsUntilTheClaimEnds) {
  FakeClock clock;
  CommitPriority priority(&clock, absl::Milliseconds(30));
  std::atomic<bool> through{false};
  auto claim = std::make_unique<CommitPriority::Claim>(&priority);
  std::thread writer([&] {
    priority.AwaitTurn();
    through = true;
  });
  clock.Advance(absl::Milliseconds(29));  // Within the yield: the writer still waits.
  EXPECT_FALSE(through.load());
  claim.reset();
  writer.join();
  EXPECT_TRUE(through.load());
}

TEST(CommitPriority, AClaimHoldsTheWriterBackForAtMostTheYield) {
  FakeClock clock;
  CommitPriority priority(&clock, absl::Milliseconds(30));
  CommitPriority::Claim claim(&priority);  // Held throughout.
  std::thread writer([&] { priority.AwaitTurn(); });
  clock.Advance(absl::Milliseconds(30));  // Counted from the claim, not from the wait.
  writer.join();
}

TEST(Activity, WaitForChangeSeesAChangeAndTimesOutOnTheClock) {
  FakeClock clock;
  Activity activity(&clock);
  EXPECT_EQ(activity.WaitForChange(-1, absl::Seconds(1)), 0);  // Already newer than seen.
  std::thread watcher([&] { EXPECT_EQ(activity.WaitForChange(0, absl::Hours(1)), 1); });
  activity.Changed();
  watcher.join();
  EXPECT_EQ(activity.WaitForChange(1, absl::ZeroDuration()), 1);  // Timed out: no change.
  activity.Close();
  EXPECT_EQ(activity.WaitForChange(1, absl::InfiniteDuration()), 1);  // Closed: no wait.
  const int64_t before = activity.handed();
  activity.Handed();
  EXPECT_EQ(activity.handed(), before + 1);
}

}  // namespace
}  // namespace augur
