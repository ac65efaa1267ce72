#include "worker/device_pool.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DevicePool, HandsOutTheLowestFreeDevicesAndTakesThemBack) {
  DevicePool pool({5, 0, 2, 3});  // e.g. GPU 1 and 4 failed their self-test.
  EXPECT_EQ(pool.total(), 4);
  auto a = pool.Acquire("a", 2);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(*a, ElementsAre(0, 2));
  auto b = pool.Acquire("b", 1);
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(*b, ElementsAre(3));
  EXPECT_EQ(pool.free(), 1);
  pool.Release("a");
  EXPECT_EQ(pool.free(), 3);
  EXPECT_THAT(pool.HeldBy("a"), IsEmpty());
  // The freed ones are the lowest again; b keeps 3.
  auto c = pool.Acquire("c", 3);
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(*c, ElementsAre(0, 2, 5));
  EXPECT_THAT(pool.HeldBy("b"), ElementsAre(3));
}

TEST(DevicePool, RefusesRatherThanOvercommits) {
  DevicePool pool({0, 1});
  ASSERT_TRUE(pool.Acquire("a", 1).ok());
  auto b = pool.Acquire("b", 2);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(b.status().message().find("1 of 2 free"), std::string::npos) << b.status();
  EXPECT_EQ(pool.free(), 1);  // The refused request took nothing.
  EXPECT_THAT(pool.HeldBy("b"), IsEmpty());
  EXPECT_EQ(pool.Acquire("a", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool.Acquire("z", 0).status().code(), absl::StatusCode::kInvalidArgument);
  pool.Release("unknown");  // Harmless.
  pool.Release("a");
  pool.Release("a");
  EXPECT_EQ(pool.free(), 2);
}

}  // namespace
}  // namespace augur
