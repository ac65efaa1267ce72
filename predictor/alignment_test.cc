#include "predictor/alignment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;
using testing::TrueConstants;

TEST(AlignmentTest, NoiselessAlignmentIsExact) {
  const CurveControls c = D2zControls(0.1, 20);
  const Curve curve = FormCurve("a", TrueConstants(), c, 2.75, {});
  const FormReference ref(ParamsFor(TrueConstants(), c), c.schedule,
                          ErrorModel{{0.0}, {0.0}, {}, {}, 0, {}});
  for (double x : {0.1, 0.2, 0.3, 0.5}) {
    auto p = AlignAndPredict(PrefixTo(curve.points, x), ref, c.schedule.warmup_fraction);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_NEAR(p->final_loss, 2.75, 1e-9) << x;
    EXPECT_NEAR(p->upper - p->lower, 0.0, 1e-6);
  }
}

TEST(AlignmentTest, WindowAtTenPercentWithTenPercentWarmup) {
  const CurveControls c = D2zControls(0.1, 20);
  const Curve curve = FormCurve("a", TrueConstants(), c, 3.0, {});
  const FormReference ref(ParamsFor(TrueConstants(), c), c.schedule, DefaultErrorModel());
  auto p = AlignAndPredict(PrefixTo(curve.points, 0.1), ref, 0.1);
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR(p->window_start, 0.07, 1e-12);
  EXPECT_NEAR(p->window_end, 0.1, 1e-12);
  auto later = AlignAndPredict(PrefixTo(curve.points, 0.3), ref, 0.1);
  ASSERT_TRUE(later.ok());
  EXPECT_NEAR(later->window_start, 0.1, 1e-12);  // Right after warmup.
  // The model error enters the interval: 2% at 10% in the default model.
  EXPECT_NEAR(p->rel_model_error, 0.02, 1e-12);
  // Relative to the true final: the upper end is P / (1 - z 2%).
  EXPECT_NEAR(p->upper / p->final_loss, 1.0 / (1.0 - 1.6449 * 0.02), 1e-3);
  EXPECT_NEAR(p->lower / p->final_loss, 1.0 / (1.0 + 1.6449 * 0.02), 1e-3);
}

// An evaluation every 2.5% of training leaves 2 points in [0.07, 0.10]: the window reaches back
// to the third-last point (not before 0.05) and predicts, exactly on a noiseless curve.
TEST(AlignmentTest, SparseLogsWidenTheWindowToTheFewestPointsItNeeds) {
  const CurveControls c = D2zControls(0.1, 20);
  const Curve dense = FormCurve("a", TrueConstants(), c, 3.0, {});
  std::vector<CurvePoint> sparse;
  for (const CurvePoint& p : dense.points) {
    if (p.step % 250 == 0) sparse.push_back(p);  // 40 points: at 0.025, 0.05, ..., 1.
  }
  const FormReference ref(ParamsFor(TrueConstants(), c), c.schedule,
                          ErrorModel{{0.0}, {0.0}, {}, {}, 0, {}});
  auto p = AlignAndPredict(PrefixTo(sparse, 0.1), ref, 0.1);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_NEAR(p->window_start, 0.05, 1e-12);
  EXPECT_EQ(p->points, 3);
  EXPECT_NEAR(p->final_loss, 3.0, 1e-9);
  EXPECT_NEAR(EarliestAlignment(sparse), 0.1, 1e-12);
  EXPECT_NEAR(EarliestAlignment(dense.points), 0.052, 1e-12);  // 1000 points: every 0.001.
  // Every 7.5%: the third point from 5% on is at 0.225; before it nothing can be predicted.
  std::vector<CurvePoint> sparser;
  for (const CurvePoint& q : dense.points) {
    if (q.step % 750 == 0) sparser.push_back(q);
  }
  EXPECT_NEAR(EarliestAlignment(sparser), 0.225, 1e-12);
  EXPECT_FALSE(AlignAndPredict(PrefixTo(sparser, 0.15), ref, 0.1).ok());
  EXPECT_TRUE(AlignAndPredict(PrefixTo(sparser, 0.225), ref, 0.1).ok());
  EXPECT_TRUE(std::isnan(EarliestAlignment({})));
}

TEST(AlignmentTest, FailsCleanlyOnTooFewPointsOrBadLoss) {
  const CurveControls c = D2zControls(0.1, 20);
  const FormReference ref(ParamsFor(TrueConstants(), c), c.schedule, DefaultErrorModel());
  std::vector<CurvePoint> two = {{1, 0, 0.09, 3.0, 0}, {2, 0, 0.1, 2.9, 0}};
  EXPECT_EQ(AlignAndPredict(two, ref, 0.1).status().code(), absl::StatusCode::kFailedPrecondition);
  std::vector<CurvePoint> bad = {{1, 0, 0.08, 3.0, 0}, {2, 0, 0.09, -1, 0}, {3, 0, 0.1, 2.9, 0}};
  EXPECT_EQ(AlignAndPredict(bad, ref, 0.1).status().code(), absl::StatusCode::kInvalidArgument);
}

// Property: on noisy curves whose reference is right, the nominal 90% interval covers the
// true final loss about 90% of the time, with white and with autocorrelated noise, at every
// milestone. Measured: 0.91-0.96 with white noise, 0.84 (x = 0.1, ~30 autocorrelated
// points) to 0.92 with AR(1) noise at rho = 0.6; the bounds leave room for sampling error
// (300 curves: +-0.02).
TEST(AlignmentTest, IntervalCoverageOnNoisyCurves) {
  for (double ar1 : {0.0, 0.6}) {
    for (double x : {0.1, 0.2, 0.3}) {
      int covered = 0;
      const int n = 300;
      for (int i = 0; i < n; ++i) {
        const CurveControls c = D2zControls(0.05 + 0.001 * i, 20);
        SyntheticOptions o;
        o.points = 1000;
        o.noise_rel = 0.01;
        o.ar1 = ar1;
        o.noise_seed = 1000 + i;
        const Curve curve = FormCurve("n", TrueConstants(), c, 3.0, o);
        const FormReference ref(ParamsFor(TrueConstants(), c), c.schedule,
                                ErrorModel{{0.0}, {0.0}, {}, {}, 0, {}});
        auto p = AlignAndPredict(PrefixTo(curve.points, x), ref, 0.1);
        ASSERT_TRUE(p.ok());
        if (p->lower <= 3.0 && 3.0 <= p->upper) ++covered;
      }
      const double coverage = static_cast<double>(covered) / n;
      std::printf("coverage ar1=%.1f x=%.1f: %.3f\n", ar1, x, coverage);
      EXPECT_GT(coverage, 0.80) << "ar1=" << ar1 << " x=" << x;
      EXPECT_LT(coverage, 0.98) << "ar1=" << ar1 << " x=" << x;
    }
  }
}

TEST(AlignmentTest, NormalQuantile) {
  EXPECT_NEAR(NormalQuantileTwoSided(0.9), 1.6449, 1e-4);
  EXPECT_NEAR(NormalQuantileTwoSided(0.95), 1.9600, 1e-4);
}

}  // namespace
}  // namespace augur::predictor
