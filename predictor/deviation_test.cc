#include "predictor/deviation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;
using testing::TrueConstants;

TEST(DeviationTest, ResidualIsZeroOnTheReferenceAndFlagsABump) {
  const CurveControls c = D2zControls(0.1, 20);
  Curve curve = FormCurve("a", TrueConstants(), c, 3.0, {});
  const FormReference ref(ParamsFor(TrueConstants(), c), c.schedule, {});
  for (const ResidualPoint& r : ResidualCurve(curve.points, ref, 3.0)) {
    EXPECT_NEAR(r.residual, 0.0, 1e-12);
  }
  // A numerics bug from 60% on: +2% loss.
  for (CurvePoint& p : curve.points) {
    if (p.fraction >= 0.6) p.loss *= 1.02;
  }
  CollapseQuality q;
  q.fractions = {0.0, 1.0};
  q.delta = {0.0, 0.0};
  q.sigma = {0.002, 0.002};
  EXPECT_NEAR(FirstDeviation(ResidualCurve(curve.points, ref, 3.0), q, 3.0), 0.6, 1e-3);
}

TEST(DeviationTest, SizesThatCollapseBeatTheSeedFloor) {
  // Two sizes x three seeds: same normalized shape, different final loss, seed noise 0.3%.
  std::vector<Curve> curves;
  const CurveControls base = D2zControls(0.1, 20);
  int k = 0;
  for (double params : {1e6, 4e6}) {
    for (int seed = 0; seed < 3; ++seed) {
      CurveControls c = base;
      c.params = params;
      c.seed = seed;
      SyntheticOptions o;
      o.points = 400;
      o.noise_rel = 0.003;
      o.ar1 = 0.99;  // Slow seed-to-seed drift, like seed noise.
      o.noise_seed = 50 + k++;
      curves.push_back(FormCurve("s", TrueConstants(), c, params > 2e6 ? 2.8 : 3.2, o));
    }
  }
  std::vector<double> grid;
  for (int i = 1; i <= 10; ++i) grid.push_back(i / 10.0);
  auto q = MeasureCollapse(curves, grid);
  ASSERT_TRUE(q.ok()) << q.status();
  for (size_t j = 0; j < grid.size(); ++j) {
    EXPECT_TRUE(std::isfinite(q->sigma[j]));
    EXPECT_LT(q->delta[j], 0.02);
  }
  // A curve at another tau does not collapse with the family: Delta grows.
  std::vector<Curve> mixed = curves;
  mixed.push_back(FormCurve("x", TrueConstants(), D2zControls(0.01, 20), 3.0, {}));
  auto qm = MeasureCollapse(mixed, grid);
  ASSERT_TRUE(qm.ok());
  EXPECT_GT(qm->delta[2], 2 * q->delta[2]);
  EXPECT_FALSE(qm->supercollapse);
  EXPECT_FALSE(MeasureCollapse({curves[0]}, grid).ok());
}

}  // namespace
}  // namespace augur::predictor
