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

TEST(TrialSpeedTest, AWaitAtAMilestoneOrAPauseIsNotTraining) {
  // 1,000 tokens a second, a point a second, then a 10-minute wait at a milestone.
  std::vector<v1::LossPoint> points;
  for (int i = 0; i <= 50; ++i) points.push_back(At(1000 * i, 1'000'000 + 1000 * i));
  for (int i = 51; i <= 100; ++i) points.push_back(At(1000 * i, 1'600'000 + 1000 * i));
  EXPECT_DOUBLE_EQ(TokensPerSecond(points), 1000);  // Counted as training: 143 tokens/s.
  // Uneven steps (a slow evaluation, a busy machine) are training.
  EXPECT_DOUBLE_EQ(
      TokensPerSecond({At(0, 10'000), At(1000, 11'000), At(2000, 15'000), At(3000, 16'000)}), 500);
  // Points 0.1 s apart, then one 1.5 s later (slower, not waiting): under the 2 s floor, kept.
  EXPECT_DOUBLE_EQ(
      TokensPerSecond({At(0, 10'000), At(100, 10'100), At(200, 10'200), At(500, 11'700)}),
      500.0 * 1000 / 1700);
}

TEST(TrialSpeedTest, UnknownSpeedIsZero) {
  EXPECT_EQ(TokensPerSecond({}), 0);
  EXPECT_EQ(TokensPerSecond({At(1000, 10'000)}), 0);
  EXPECT_EQ(TokensPerSecond({At(1000, 0), At(2000, 0)}), 0);
  EXPECT_EQ(TokensPerSecond({At(1000, 10'000), At(2000, 10'000)}), 0);  // No time passed.
}

TEST(TrialSpeedTest, ATrialLeasedAMomentAgoCountsAtTheMeanOfTheMeasuredOnes) {
  EXPECT_DOUBLE_EQ(SweepTokensPerSecond({40'000, 0}), 80'000);  // Summed: 40'000.
  EXPECT_DOUBLE_EQ(SweepTokensPerSecond({30'000, 50'000, 0}), 120'000);
  EXPECT_DOUBLE_EQ(SweepTokensPerSecond({30'000, 50'000}), 80'000);
  EXPECT_EQ(SweepTokensPerSecond({0, 0}), 0);
  EXPECT_EQ(SweepTokensPerSecond({}), 0);
}

}  // namespace
}  // namespace augur
