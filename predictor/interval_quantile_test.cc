// The 90% interval from the measured quantile of held-out errors (ErrorModel::rel_q90).
#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "predictor/alignment.h"
#include "predictor/held_out_errors.h"
#include "predictor/model.h"
#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

// `n` held-out predictions at x = 0.2 with relative errors +-0.001, +-0.002, ... (alternating).
std::vector<HeldOutPrediction> Spread(int n) {
  std::vector<HeldOutPrediction> out;
  for (int i = 1; i <= n; ++i) {
    const double truth = 3.0;
    const double r = (i % 2 == 0 ? 1 : -1) * 0.001 * i;
    out.push_back({0.2, static_cast<size_t>(i), 0, truth * (1 + r), truth});
  }
  return out;
}

TEST(IntervalQuantileTest, TheQuantileIsTheConformalRankOfTheAbsoluteErrors) {
  // 19 errors 0.001..0.019: rank ceil(0.9 x 20) = 18, so 0.018; the RMS is 0.0114.
  const ErrorModel e = ErrorModelFrom(Spread(19), {0.2});
  ASSERT_EQ(e.rel_q90.size(), 1u);
  EXPECT_NEAR(e.Q90At(0.2), 0.018, 1e-9);
  EXPECT_NEAR(e.At(0.2), std::sqrt(19.0 * 20 * 39 / 6 / 19) * 0.001, 1e-9);
}

TEST(IntervalQuantileTest, TooFewCurvesMeasureNoQuantile) {
  const ErrorModel e = ErrorModelFrom(Spread(ErrorModel::kMinQuantileCurves - 1), {0.2});
  EXPECT_TRUE(e.rel_q90.empty());
  EXPECT_TRUE(std::isnan(e.Q90At(0.2)));
  EXPECT_FALSE(ErrorModelFrom(Spread(ErrorModel::kMinQuantileCurves), {0.2}).rel_q90.empty());
}

TEST(IntervalQuantileTest, RoundTripsThroughTheModelJsonAndOldModelsLoadWithout) {
  PredictorModel m;
  Calibration cal;
  cal.schedule_key = kPooledKey;
  cal.error = ErrorModel{{0.1, 0.2}, {0.04, 0.02}, {}, {}, 0, {0.05, 0.03}};
  m.calibrations.push_back(cal);
  auto back = ModelFromJson(ModelToJson(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->calibrations[0].error.rel_q90, (std::vector<double>{0.05, 0.03}));
  m.calibrations[0].error.rel_q90.clear();
  const std::string old = ModelToJson(m);
  EXPECT_EQ(old.find("rel_q90"), std::string::npos);
  auto loaded = ModelFromJson(old);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->calibrations[0].error.rel_q90.empty());
  m.calibrations[0].error.rel_q90 = {0.05};  // One value for two fractions.
  EXPECT_FALSE(ModelFromJson(ModelToJson(m)).ok());
}

TEST(IntervalQuantileTest, TheNinetyPercentIntervalIsTheMeasuredQuantileWhenNoiseIsSmaller) {
  const CurveControls c = testing::D2zControls(0.1, 20);
  const Curve curve = FormCurve("a", testing::TrueConstants(), c, 3.0, {});
  const FormReference with_q(ParamsFor(testing::TrueConstants(), c), c.schedule,
                             ErrorModel{{0.1, 0.3}, {0.04, 0.02}, {}, {}, 0, {0.03, 0.01}});
  auto p = AlignAndPredict(PrefixTo(curve.points, 0.2), with_q, 0.1);
  ASSERT_TRUE(p.ok()) << p.status();
  // q90 interpolated at 0.2 is 0.02 of the true final F: |P - F| <= 0.02 F puts F in
  // [P / 1.02, P / 0.98], not P (1 -+ 0.02).
  EXPECT_NEAR(p->upper, p->final_loss / 0.98, 1e-9);
  EXPECT_NEAR(p->lower, p->final_loss / 1.02, 1e-9);
  // So a prediction 2% above the final (relative to the final) is at the interval's low edge.
  EXPECT_NEAR((p->final_loss - p->lower) / p->lower, 0.02, 1e-9);
  // Another level has no measured quantile: h = z x rms, relative to the final too.
  AlignOptions o;
  o.level = 0.8;
  auto q = AlignAndPredict(PrefixTo(curve.points, 0.2), with_q, 0.1, o);
  ASSERT_TRUE(q.ok());
  const double h = NormalQuantileTwoSided(0.8) * 0.03;
  EXPECT_NEAR(q->upper / q->final_loss, 1 / (1 - h), 1e-6);
  EXPECT_NEAR(q->lower / q->final_loss, 1 / (1 + h), 1e-6);
}

TEST(IntervalQuantileTest, AnErrorMeasuredOnFewCurvesWidensTheIntervalAndStaysPositive) {
  const CurveControls c = testing::D2zControls(0.1, 20);
  const Curve curve = FormCurve("a", testing::TrueConstants(), c, 3.0, {});
  const auto prefix = PrefixTo(curve.points, 0.2);
  auto with = [&](ErrorModel e) {
    const FormReference ref(ParamsFor(testing::TrueConstants(), c), c.schedule, std::move(e));
    auto p = AlignAndPredict(prefix, ref, 0.1);
    EXPECT_TRUE(p.ok());
    return *p;
  };
  // Too few curves for a quantile: the rms of 3 held-out curves, widened by t_{0.95,3} / z.
  const Prediction few = with(ErrorModel{{0.1, 0.3}, {0.04, 0.04}, {}, {}, 0, {}, {3, 3}});
  const Prediction many = with(ErrorModel{{0.1, 0.3}, {0.04, 0.04}, {}, {}, 0, {}, {300, 300}});
  EXPECT_NEAR(few.rel_model_error, 0.04 * 2.353 / 1.6449, 1e-4);
  EXPECT_NEAR(few.upper / few.final_loss, 1 / (1 - 2.353 * 0.04), 1e-3);
  EXPECT_GT(few.upper - few.lower, 1.3 * (many.upper - many.lower));
  // Seen on public curves (a per-schedule calibration of 4 curves, rms 49%): the interval was
  // [-0.51, 6.67]. Relative to the final, a huge error leaves the low end positive.
  const Prediction huge = with(ErrorModel{{0.1, 0.3}, {0.49, 0.49}, {}, {}, 0, {}, {4, 4}});
  EXPECT_GT(huge.lower, 0);
  EXPECT_TRUE(std::isinf(huge.upper));
}

}  // namespace
}  // namespace augur::predictor
