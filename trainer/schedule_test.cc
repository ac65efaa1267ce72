#include "trainer/schedule.h"

#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

TEST(ScheduleTest, UpdateFractionIsStepMidpoint) {
  EXPECT_DOUBLE_EQ(ScheduleFractionForUpdate(0, 10), 0.05);
  EXPECT_DOUBLE_EQ(ScheduleFractionForUpdate(9, 10), 0.95);
}

}  // namespace
}  // namespace augur::trainer
