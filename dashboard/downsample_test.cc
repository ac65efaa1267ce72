#include "dashboard/downsample.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace augur::dashboard {
namespace {

TEST(DownsampleTest, ShortCurvesAreSentWhole) {
  const std::vector<size_t> all = DownsampleIndices({3, 2, 1}, 100);
  EXPECT_EQ(all, (std::vector<size_t>{0, 1, 2}));
}

TEST(DownsampleTest, KeepsEndsAndSpikesWithinTheBudget) {
  std::vector<double> y(10000);
  for (size_t i = 0; i < y.size(); ++i) y[i] = 6.0 / (1.0 + 0.01 * static_cast<double>(i));
  y[5003] = 50;  // A spike must survive.
  y[7001] = 0.01;
  const std::vector<size_t> picked = DownsampleIndices(y, 400);
  ASSERT_LE(picked.size(), 400u);
  EXPECT_GE(picked.size(), 200u);  // 100 buckets; a falling curve's first is its highest.
  EXPECT_EQ(picked.front(), 0u);
  EXPECT_EQ(picked.back(), 9999u);
  EXPECT_TRUE(std::is_sorted(picked.begin(), picked.end()));
  EXPECT_NE(std::find(picked.begin(), picked.end(), 5003u), picked.end());
  EXPECT_NE(std::find(picked.begin(), picked.end(), 7001u), picked.end());
}

TEST(DownsampleTest, NonFiniteValuesAreNeverTheExtremes) {
  std::vector<double> y(1000, 1.0);
  y[10] = std::numeric_limits<double>::quiet_NaN();
  y[11] = 0.5;
  const std::vector<size_t> picked = DownsampleIndices(y, 8);  // Two buckets of 500.
  EXPECT_NE(std::find(picked.begin(), picked.end(), 11u), picked.end());
  EXPECT_EQ(std::find(picked.begin(), picked.end(), 10u), picked.end());
}

}  // namespace
}  // namespace augur::dashboard
