#include "scheduler/sweep_limits.h"

#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

using ::testing::HasSubstr;

v1::SweepSpec GridSpec(int values_per_dimension, int dimensions, int sizes, int seeds) {
  v1::SweepSpec spec;
  for (int d = 0; d < dimensions; ++d) {
    v1::SearchDimension* dim = spec.mutable_search()->add_dimensions();
    for (int v = 0; v < values_per_dimension; ++v) dim->add_values(v + 1);
  }
  for (int s = 0; s < sizes; ++s) spec.add_sizes();
  spec.add_sizes()->set_reference_only(true);  // Never counted.
  for (int s = 0; s < seeds; ++s) spec.add_seeds(s);
  return spec;
}

v1::Trial Planned(int64_t steps, int64_t batch_tokens) {
  v1::Trial t;
  t.mutable_controls()->set_total_steps(steps);
  t.mutable_controls()->set_batch_tokens(batch_tokens);
  return t;
}

TEST(SweepLimitsTest, SearchedTrialsMultipliesGridSizesAndSeeds) {
  EXPECT_EQ(SearchedTrials(GridSpec(3, 2, 2, 1)), 3 * 3 * 2);
  EXPECT_EQ(SearchedTrials(GridSpec(10, 3, 1, 4)), 1000 * 4);
  v1::SweepSpec random = GridSpec(2, 1, 3, 1);
  random.mutable_search()->set_method(v1::SEARCH_METHOD_RANDOM);
  random.mutable_search()->set_trials(15000);
  EXPECT_EQ(SearchedTrials(random), 45000);
  v1::SweepSpec range;
  range.mutable_search()->add_dimensions()->set_grid_points(7);
  range.mutable_search()->add_dimensions();  // Default 3 points.
  range.add_sizes();
  EXPECT_EQ(SearchedTrials(range), 21);
  // A grid of 100 values in each of 10 dimensions saturates instead of overflowing.
  EXPECT_EQ(SearchedTrials(GridSpec(100, 10, 1, 1)), std::numeric_limits<int64_t>::max());
}

TEST(SweepLimitsTest, AnOversizedGridIsRefusedBeforePlanningNamingTheLimit) {
  SweepLimits limits;
  limits.max_trials = 100'000;
  EXPECT_TRUE(CheckSpecSize(GridSpec(10, 5, 1, 1), limits).ok());              // 100,000.
  const absl::Status refused = CheckSpecSize(GridSpec(101, 3, 1, 1), limits);  // 1,030,301.
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(),
            "the sweep asks for 1030301 trials, more than this scheduler's limit of 100000 "
            "(augur-scheduler --max-trials-per-sweep)");
  limits.max_trials = 0;  // No limit.
  EXPECT_TRUE(CheckSpecSize(GridSpec(101, 3, 1, 1), limits).ok());
}

TEST(SweepLimitsTest, ThePlanIsCheckedForTrialsPointsAndTokens) {
  SweepLimits limits{.max_trials = 3, .max_points_per_trial = 1000, .max_tokens = 3'000'000};
  const std::vector<v1::Trial> fits = {Planned(1000, 1000), Planned(1000, 1000),
                                       Planned(1000, 1000)};
  EXPECT_TRUE(CheckPlannedSize(fits, limits).ok());
  std::vector<v1::Trial> four = fits;
  four.push_back(Planned(1, 1));
  EXPECT_THAT(CheckPlannedSize(four, limits).message(), HasSubstr("--max-trials-per-sweep"));
  EXPECT_THAT(CheckPlannedSize({Planned(1001, 1)}, limits).message(),
              HasSubstr("1001 points in its longest trial (one per step), more than this "
                        "scheduler's limit of 1000 (augur-scheduler --max-points-per-trial)"));
  std::vector<v1::Trial> heavy = fits;
  heavy[2] = Planned(1000, 1001);
  EXPECT_THAT(CheckPlannedSize(heavy, limits).message(),
              HasSubstr("3001000 tokens if every trial ran to the end, more than this "
                        "scheduler's limit of 3000000 (augur-scheduler --max-tokens-per-sweep)"));
}

}  // namespace
}  // namespace augur
