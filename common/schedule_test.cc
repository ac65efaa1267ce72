#include "common/schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>

namespace augur {
namespace {

ScheduleSettings Shape(ScheduleShape shape, double warmup_fraction) {
  ScheduleSettings s;
  s.shape = shape;
  s.warmup_fraction = warmup_fraction;
  return s;
}

TEST(ScheduleTest, LinearDecayWarmsUpThenDecaysToZero) {
  const ScheduleSettings s = Shape(ScheduleShape::kLinearDecay, 0.1);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.05), 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.1), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.55), 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 1.0), 0.0);  // Decay to zero reaches zero.
}

TEST(ScheduleTest, LinearDecayMatchesClosedForm) {
  const ScheduleSettings s = Shape(ScheduleShape::kLinearDecay, 0.1);
  for (double x = 0; x <= 1.0; x += 0.01) {
    const double expected = x < 0.1 ? x / 0.1 : (1.0 - x) / 0.9;
    EXPECT_NEAR(ScheduleFactor(s, x), expected, 1e-12) << x;
  }
}

TEST(ScheduleTest, LinearDecayEndsAtFinalFraction) {
  ScheduleSettings s = Shape(ScheduleShape::kLinearDecay, 0.2);
  s.final_lr_fraction = 0.1;
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.2), 1.0);
  EXPECT_NEAR(ScheduleFactor(s, 0.6), 0.55, 1e-12);  // Halfway: mean of peak and floor.
  EXPECT_NEAR(ScheduleFactor(s, 1.0), 0.1, 1e-12);
}

TEST(ScheduleTest, NoWarmupStartsAtPeak) {
  const ScheduleSettings s = Shape(ScheduleShape::kLinearDecay, 0.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.25), 0.75);
}

TEST(ScheduleTest, CosineMatchesClosedForm) {
  ScheduleSettings s = Shape(ScheduleShape::kCosine, 0.2);
  s.final_lr_fraction = 0.1;
  for (double x = 0.2; x <= 1.0; x += 0.05) {
    const double p = (x - 0.2) / 0.8;
    EXPECT_NEAR(ScheduleFactor(s, x), 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * p)),
                1e-12);
  }
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.1), 0.5);  // Warmup rises to the peak.
  EXPECT_NEAR(ScheduleFactor(s, 1.0), 0.1, 1e-12);
  EXPECT_NEAR(ScheduleFactor(s, 0.6), 0.55, 1e-12);  // Midpoint: mean of peak and floor.
}

TEST(ScheduleTest, CosineWithoutWarmup) {
  ScheduleSettings s = Shape(ScheduleShape::kCosine, 0.0);
  s.final_lr_fraction = 0.1;
  EXPECT_NEAR(ScheduleFactor(s, 0.5), 0.55, 1e-12);
  EXPECT_NEAR(ScheduleFactor(s, 1.0), 0.1, 1e-12);
}

TEST(ScheduleTest, Constant) {
  const ScheduleSettings s = Shape(ScheduleShape::kConstant, 0.1);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.05), 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.7), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.99), 1.0);
}

TEST(ScheduleTest, WsdHoldsThenDecaysFromTheKnee) {
  ScheduleSettings s = Shape(ScheduleShape::kWsd, 0.1);
  s.decay_fraction = 0.2;
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.05), 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.8), 1.0);  // The knee.
  EXPECT_NEAR(ScheduleFactor(s, 0.9), 0.5, 1e-12);
  EXPECT_NEAR(ScheduleFactor(s, 1.0), 0.0, 1e-12);
  s.final_lr_fraction = 0.2;
  EXPECT_NEAR(ScheduleFactor(s, 0.9), 0.6, 1e-12);
  EXPECT_NEAR(ScheduleFactor(s, 1.0), 0.2, 1e-12);
}

TEST(ScheduleTest, WsdDecayNeverStartsInsideWarmup) {
  ScheduleSettings s = Shape(ScheduleShape::kWsd, 0.5);
  s.decay_fraction = 0.8;  // Would start at 0.2; starts at the end of warmup instead.
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.5), 1.0);
  EXPECT_NEAR(ScheduleFactor(s, 0.75), 0.5, 1e-12);
  EXPECT_NEAR(ScheduleFactor(s, 1.0), 0.0, 1e-12);
}

TEST(ScheduleTest, FractionIsClampedToTheRun) {
  for (ScheduleShape shape : kAllScheduleShapes) {
    ScheduleSettings s = Shape(shape, 0.1);
    s.final_lr_fraction = 0.1;
    s.table = {{0.1, 1.0}, {1.0, 0.3}};
    EXPECT_DOUBLE_EQ(ScheduleFactor(s, -0.5), 0.0) << ScheduleShapeName(shape);
    EXPECT_DOUBLE_EQ(ScheduleFactor(s, 1.5), ScheduleFactor(s, 1.0)) << ScheduleShapeName(shape);
  }
}

TEST(ScheduleTest, TabulatedInterpolates) {
  ScheduleSettings s = Shape(ScheduleShape::kTabulated, 0.1);
  s.table = {{0.1, 1.0}, {0.5, 1.0}, {1.0, 0.2}};
  EXPECT_NEAR(ScheduleFactor(s, 0.75), 0.6, 1e-12);
  EXPECT_NEAR(ScheduleFactor(s, 0.05), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 1.0), 0.2);
}

TEST(ScheduleTest, TabulatedWarmsUpToTheTableStartAndHoldsItsEnds) {
  ScheduleSettings s = Shape(ScheduleShape::kTabulated, 0.2);
  s.table = {{0.3, 0.8}, {0.9, 0.4}};
  EXPECT_NEAR(ScheduleFactor(s, 0.1), 0.4, 1e-12);  // Half of the value at x = 0.2.
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.25), 0.8);   // Before the table: its first value.
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.95), 0.4);   // After it: its last value.
  s.table.clear();
  EXPECT_DOUBLE_EQ(ScheduleFactor(s, 0.5), 1.0);  // No table: constant.
}

TEST(ScheduleTest, NamesRoundTrip) {
  for (ScheduleShape shape : kAllScheduleShapes) {
    auto parsed = ParseScheduleShape(ScheduleShapeName(shape));
    ASSERT_TRUE(parsed.ok()) << ScheduleShapeName(shape);
    EXPECT_EQ(*parsed, shape);
  }
  EXPECT_EQ(ScheduleShapeName(ScheduleShape::kLinearDecay), "linear_decay");
  EXPECT_EQ(ScheduleShapeName(ScheduleShape::kCosine), "cosine");
  EXPECT_EQ(ScheduleShapeName(ScheduleShape::kConstant), "constant");
  EXPECT_EQ(ScheduleShapeName(ScheduleShape::kWsd), "wsd");
  EXPECT_EQ(ScheduleShapeName(ScheduleShape::kTabulated), "tabulated");
}

TEST(ScheduleTest, OldNamesParseToTheSameShapeAsTheNewOnes) {
  const std::pair<const char*, const char*> old_and_new[] = {
      {"d2z", "linear_decay"}, {"D2Z", "linear_decay"},        {"linear", "linear_decay"},
      {"cos", "cosine"},       {"warmup_stable_decay", "wsd"}, {"WSD", "wsd"}};
  for (const auto& [old_name, new_name] : old_and_new) {
    auto from_old = ParseScheduleShape(old_name);
    ASSERT_TRUE(from_old.ok()) << old_name;
    EXPECT_EQ(*from_old, *ParseScheduleShape(new_name)) << old_name;
    EXPECT_EQ(ScheduleShapeName(*from_old), new_name) << old_name;
  }
}

TEST(ScheduleTest, RejectsUnknownNames) {
  EXPECT_FALSE(ParseScheduleShape("zigzag").ok());
  EXPECT_FALSE(ParseScheduleShape("exponential").ok());
  EXPECT_FALSE(ParseScheduleShape("").ok());
  EXPECT_EQ(ParseScheduleShape("zigzag").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace augur
