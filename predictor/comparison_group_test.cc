#include "predictor/comparison_group.h"

#include <vector>

#include "gtest/gtest.h"
#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;

TEST(ComparisonGroupTest, SearchedHyperparametersShareAGroupSizeLengthAndScheduleDoNot) {
  const CurveControls base = D2zControls(0.1, 20);
  CurveControls other = base;
  other.tau = 0.4;
  other.peak_lr *= 3;
  other.weight_decay *= 2;
  other.batch_tokens *= 2;
  other.seed = 7;
  EXPECT_EQ(ComparisonGroupKey(base), ComparisonGroupKey(other));
  other.tokens_per_param = 20.3;  // Rounded to whole steps: still the planned 20.
  other.schedule.warmup_fraction = base.schedule.warmup_fraction + 0.0015;  // Read off a log.
  EXPECT_EQ(ComparisonGroupKey(base), ComparisonGroupKey(other));
  for (auto change : std::vector<void (*)(CurveControls&)>{
           [](CurveControls& c) { c.params *= 4; },
           [](CurveControls& c) { c.tokens_per_param = 80; },
           [](CurveControls& c) { c.schedule.shape = ScheduleShape::kCosine; },
           [](CurveControls& c) { c.schedule.warmup_fraction = 0.02; }}) {
    CurveControls c = base;
    change(c);
    EXPECT_NE(ComparisonGroupKey(base), ComparisonGroupKey(c)) << ComparisonGroupKey(c);
  }
}

TEST(ComparisonGroupTest, RunsWithoutAGroupAreNamedOnlyWhenTheySpanSeveral) {
  std::vector<Curve> one(3);
  for (Curve& c : one) c.controls = D2zControls(0.1, 20);
  EXPECT_EQ(NameComparisonGroups(one), 0);
  for (const Curve& c : one) EXPECT_TRUE(c.group.empty());

  std::vector<Curve> runs = one;
  runs[2].controls.params *= 4;
  runs.push_back(runs[2]);
  runs[3].group = "mine";  // A group the user gave is kept.
  EXPECT_EQ(NameComparisonGroups(runs), 2);
  EXPECT_EQ(runs[0].group, runs[1].group);
  EXPECT_NE(runs[0].group, runs[2].group);
  EXPECT_EQ(runs[2].group, ComparisonGroupKey(runs[2].controls));
  EXPECT_EQ(runs[3].group, "mine");
}

}  // namespace
}  // namespace augur::predictor
