#include "predictor/normalized_form.h"

#include <gtest/gtest.h>

namespace augur::predictor {
namespace {

TEST(FormEtaTest, HoldsTheEndOfWarmupValueDuringWarmup) {
  ScheduleSettings s;
  s.warmup_fraction = 0.1;
  EXPECT_DOUBLE_EQ(FormEta(s, 0.02), 1.0);
  EXPECT_DOUBLE_EQ(FormEta(s, 0.55), ScheduleFactor(s, 0.55));
}

TEST(FormEtaTest, TabulatedHoldsTheTableValueAtTheEndOfWarmup) {
  ScheduleSettings s;
  s.shape = ScheduleShape::kTabulated;
  s.warmup_fraction = 0.2;
  s.table = {{0.2, 0.8}, {1.0, 0.4}};
  EXPECT_DOUBLE_EQ(FormEta(s, 0.05), 0.8);
  EXPECT_DOUBLE_EQ(FormEta(s, 0.6), ScheduleFactor(s, 0.6));
}

}  // namespace
}  // namespace augur::predictor
