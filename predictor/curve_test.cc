#include "predictor/curve.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace augur::predictor {
namespace {

std::vector<CurvePoint> Linear(int n, double a, double slope) {
  std::vector<CurvePoint> p;
  for (int i = 1; i <= n; ++i) {
    CurvePoint c;
    c.step = i;
    c.fraction = static_cast<double>(i) / n;
    c.tokens = 100.0 * i;
    c.loss = a + slope * c.fraction;
    p.push_back(c);
  }
  return p;
}

TEST(CurveTest, SmoothingKeepsLinearCurvesInTheInterior) {
  const auto p = Linear(200, 3.0, -1.0);
  for (SmoothUnit u : {SmoothUnit::kSteps, SmoothUnit::kTokens, SmoothUnit::kFraction}) {
    const double w = u == SmoothUnit::kSteps ? 10 : (u == SmoothUnit::kTokens ? 1000 : 0.05);
    const auto s = Smooth(p, w, u);
    for (int i = 20; i < 180; ++i) EXPECT_NEAR(s[i].loss, p[i].loss, 1e-12);
  }
}

TEST(CurveTest, SmoothingAveragesNoise) {
  auto p = Linear(100, 3.0, 0.0);
  for (size_t i = 0; i < p.size(); ++i) p[i].loss += (i % 2 == 0 ? 0.1 : -0.1);
  const auto s = Smooth(p, 9, SmoothUnit::kSteps);  // Windows of 9 or 10 points.
  for (int i = 10; i < 90; ++i) EXPECT_LT(std::abs(s[i].loss - 3.0), 0.012);
}

TEST(CurveTest, MinSmoothedIsTheMinimumOfTheSmoothedPrefix) {
  auto p = Linear(300, 3.0, -1.0);
  for (size_t i = 0; i < p.size(); ++i)
    p[i].loss += 0.05 * std::sin(0.7 * i) + (i == 40 ? -0.5 : 0);
  for (double x : {0.0, 0.004, 0.1, 0.3, 1.0}) {
    const size_t n = PrefixEnd(p, x);
    EXPECT_EQ(n, PrefixTo(p, x).size()) << x;
    for (double w : {0.0, 0.01, 0.05}) {
      const auto smooth = Smooth(PrefixTo(p, x), w, SmoothUnit::kFraction);
      if (smooth.empty()) {
        EXPECT_TRUE(std::isnan(MinSmoothed(p, n, w, SmoothUnit::kFraction)));
        continue;
      }
      double expected = smooth.front().loss;
      for (const CurvePoint& c : smooth) expected = std::min(expected, c.loss);
      EXPECT_DOUBLE_EQ(MinSmoothed(p, n, w, SmoothUnit::kFraction), expected) << x << " " << w;
    }
  }
}

TEST(CurveTest, InterpolationPrefixAndFinalLoss) {
  const auto p = Linear(100, 3.0, -1.0);
  EXPECT_NEAR(LossAt(p, 0.505), 2.495, 1e-12);
  EXPECT_TRUE(std::isnan(LossAt(p, 0.001)));
  EXPECT_EQ(PrefixTo(p, 0.3).size(), 30u);
  EXPECT_NEAR(FinalLoss(p), 2.0, 1e-12);  // Exact for a linear curve.
  EXPECT_NEAR(CurrentLoss(p, 0.5, 0.03), 2.51, 1e-12);
  EXPECT_NEAR(MedianSpacing(p), 0.01, 1e-12);
}

TEST(CurveTest, DerivesTauAndTpp) {
  CurveControls c;
  c.peak_lr = 1e-3;
  c.weight_decay = 0.1;
  c.total_steps = 10000;
  c.batch_tokens = 1000;
  c.params = 1e6;
  DeriveControls(c);
  EXPECT_NEAR(c.tau, 1.0, 1e-12);  // 1 / (1e-3 * 0.1 * 1e4).
  EXPECT_NEAR(c.tokens_per_param, 10.0, 1e-12);
}

TEST(CurveTest, FindsNonFinite) {
  auto p = Linear(10, 3.0, -1.0);
  EXPECT_EQ(FirstNonFinite(p), -1);
  p[4].loss = std::nan("");
  EXPECT_EQ(FirstNonFinite(p), 4);
}

}  // namespace
}  // namespace augur::predictor
