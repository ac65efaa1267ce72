#include "predictor/schedule.h"

#include <gtest/gtest.h>

namespace augur::predictor {
namespace {

TEST(ScheduleTest, D2zWarmsUpThenDecaysToZero) {
  ScheduleSpec s;
  s.shape = ScheduleShape::kLinearDecay;
  s.warmup_fraction = 0.1;
  EXPECT_DOUBLE_EQ(ScheduleEta(s, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(ScheduleEta(s, 0.05), 0.5);
  EXPECT_DOUBLE_EQ(ScheduleEta(s, 0.1), 1.0);
  EXPECT_DOUBLE_EQ(ScheduleEta(s, 0.55), 0.5);
  EXPECT_DOUBLE_EQ(ScheduleEta(s, 1.0), 0.0);
}

TEST(ScheduleTest, CosineConstantAndWsd) {
  ScheduleSpec c;
  c.shape = ScheduleShape::kCosine;
  c.warmup_fraction = 0.0;
  c.final_lr_fraction = 0.1;
  EXPECT_NEAR(ScheduleEta(c, 0.5), 0.55, 1e-12);
  EXPECT_NEAR(ScheduleEta(c, 1.0), 0.1, 1e-12);
  ScheduleSpec k;
  k.shape = ScheduleShape::kConstant;
  EXPECT_DOUBLE_EQ(ScheduleEta(k, 0.7), 1.0);
  ScheduleSpec w;
  w.shape = ScheduleShape::kWsd;
  w.decay_fraction = 0.2;
  EXPECT_DOUBLE_EQ(ScheduleEta(w, 0.8), 1.0);
  EXPECT_NEAR(ScheduleEta(w, 0.9), 0.5, 1e-12);
  EXPECT_NEAR(ScheduleEta(w, 1.0), 0.0, 1e-12);
}

TEST(ScheduleTest, FormEtaIgnoresWarmup) {
  ScheduleSpec s;
  s.warmup_fraction = 0.1;
  EXPECT_DOUBLE_EQ(FormEta(s, 0.02), 1.0);
  EXPECT_DOUBLE_EQ(FormEta(s, 0.55), ScheduleEta(s, 0.55));
}

TEST(ScheduleTest, TabulatedInterpolates) {
  ScheduleSpec s;
  s.shape = ScheduleShape::kTabulated;
  s.warmup_fraction = 0.1;
  s.table = {{0.1, 1.0}, {0.5, 1.0}, {1.0, 0.2}};
  EXPECT_NEAR(ScheduleEta(s, 0.75), 0.6, 1e-12);
  EXPECT_NEAR(ScheduleEta(s, 0.05), 0.5, 1e-12);
}

TEST(ScheduleTest, ParsesNamesAndRejectsUnknown) {
  EXPECT_EQ(*ParseScheduleShape("D2Z"), ScheduleShape::kLinearDecay);
  EXPECT_EQ(*ParseScheduleShape("cosine"), ScheduleShape::kCosine);
  EXPECT_FALSE(ParseScheduleShape("zigzag").ok());
}

}  // namespace
}  // namespace augur::predictor
