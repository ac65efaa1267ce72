#include "scheduler/trial_speed.h"

#include <vector>

#include "gtest/gtest.h"

namespace augur {
namespace {

v1::LossPoint At(int64_t tokens, int64_t wall_ms) {
  v1::LossPoint p;
  p.set_tokens(tokens);
  p.set_wall_time_unix_ms(wall_ms);
  return p;
}

TEST(TrialSpeedTest, TokensPerSecondBetweenTheFirstAndLastTimedPoints) {
  EXPECT_DOUBLE_EQ(TokensPerSecond({At(1000, 10'000), At(3000, 11'000), At(9000, 12'000)}), 4000);
  // Points stored before workers stamped wall times are skipped.
  EXPECT_DOUBLE_EQ(TokensPerSecond({At(0, 0), At(1000, 10'000), At(5000, 12'000)}), 2000);
}

TEST(TrialSpeedTest, UnknownSpeedIsZero) {
  EXPECT_EQ(TokensPerSecond({}), 0);
  EXPECT_EQ(TokensPerSecond({At(1000, 10'000)}), 0);
  EXPECT_EQ(TokensPerSecond({At(1000, 0), At(2000, 0)}), 0);
  EXPECT_EQ(TokensPerSecond({At(1000, 10'000), At(2000, 10'000)}), 0);  // No time passed.
}

}  // namespace
}  // namespace augur
