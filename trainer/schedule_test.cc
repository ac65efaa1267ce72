#include "trainer/schedule.h"

#include <cmath>
#include <numbers>

#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

TEST(ScheduleTest, LinearDecayMatchesClosedForm) {
  ScheduleConfig c{.shape = ScheduleShape::kLinearDecay, .warmup_fraction = 0.1};
  for (double x = 0; x <= 1.0; x += 0.01) {
    const double expected = x < 0.1 ? x / 0.1 : (1.0 - x) / 0.9;
    EXPECT_NEAR(ScheduleFactor(c, x), expected, 1e-12) << x;
  }
  EXPECT_DOUBLE_EQ(ScheduleFactor(c, 0.1), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(c, 1.0), 0.0);  // D2Z reaches zero.
}

TEST(ScheduleTest, CosineEndsAtFinalFraction) {
  ScheduleConfig c{
      .shape = ScheduleShape::kCosine, .warmup_fraction = 0.2, .final_lr_fraction = 0.1};
  for (double x = 0.2; x <= 1.0; x += 0.05) {
    const double p = (x - 0.2) / 0.8;
    EXPECT_NEAR(ScheduleFactor(c, x), 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * p)),
                1e-12);
  }
  EXPECT_NEAR(ScheduleFactor(c, 1.0), 0.1, 1e-12);
  EXPECT_NEAR(ScheduleFactor(c, 0.6), 0.55, 1e-12);  // Halfway: mean of peak and floor.
}

TEST(ScheduleTest, ConstantAndWarmupStableDecay) {
  ScheduleConfig k{.shape = ScheduleShape::kConstant, .warmup_fraction = 0.1};
  EXPECT_DOUBLE_EQ(ScheduleFactor(k, 0.05), 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactor(k, 0.99), 1.0);
  ScheduleConfig w{
      .shape = ScheduleShape::kWarmupStableDecay, .warmup_fraction = 0.1, .decay_fraction = 0.2};
  EXPECT_DOUBLE_EQ(ScheduleFactor(w, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(w, 0.8), 1.0);
  EXPECT_NEAR(ScheduleFactor(w, 0.9), 0.5, 1e-12);
  EXPECT_NEAR(ScheduleFactor(w, 1.0), 0.0, 1e-12);
}

TEST(ScheduleTest, NoWarmupStartsAtPeak) {
  ScheduleConfig c{.shape = ScheduleShape::kLinearDecay, .warmup_fraction = 0.0};
  EXPECT_DOUBLE_EQ(ScheduleFactor(c, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(c, 0.25), 0.75);
}

TEST(ScheduleTest, UpdateFractionIsStepMidpoint) {
  EXPECT_DOUBLE_EQ(ScheduleFractionForUpdate(0, 10), 0.05);
  EXPECT_DOUBLE_EQ(ScheduleFractionForUpdate(9, 10), 0.95);
}

TEST(ScheduleTest, NamesRoundTripAndValidation) {
  for (auto s : {ScheduleShape::kLinearDecay, ScheduleShape::kCosine, ScheduleShape::kConstant,
                 ScheduleShape::kWarmupStableDecay}) {
    EXPECT_EQ(*ParseScheduleShape(ScheduleShapeName(s)), s);
  }
  EXPECT_FALSE(ParseScheduleShape("exponential").ok());
  EXPECT_FALSE(ValidateSchedule({.warmup_fraction = 1.0}).ok());
  EXPECT_FALSE(
      ValidateSchedule({.shape = ScheduleShape::kWarmupStableDecay, .decay_fraction = 0.0}).ok());
  EXPECT_TRUE(ValidateSchedule({}).ok());
}

}  // namespace
}  // namespace augur::trainer
