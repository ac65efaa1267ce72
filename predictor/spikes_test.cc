#include "predictor/spikes.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "predictor/alignment.h"
#include "predictor/reference.h"
#include "predictor/synthetic.h"
#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;
using testing::TrueConstants;

Curve Noisy(const std::string& id, double final_loss, uint64_t seed, int points = 400) {
  SyntheticOptions o;
  o.points = points;
  o.noise_rel = 0.01;
  o.ar1 = 0.3;
  o.noise_seed = seed;
  return FormCurve(id, TrueConstants(), D2zControls(0.5, 20, points), final_loss, o);
}

size_t Moved(const std::vector<CurvePoint>& a, const std::vector<CurvePoint>& b) {
  size_t moved = 0;
  for (size_t i = 0; i < a.size(); ++i) moved += a[i].loss != b[i].loss;
  return moved;
}

TEST(WithoutSpikes, NoiseAndCleanCurvesComeBackAsTheyAre) {
  // Gaussian noise of 1% with lag-1 autocorrelation 0, 0.3 and 0.6: 300 curves each.
  size_t points = 0, moved = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    for (double ar1 : {0.0, 0.3, 0.6}) {
      SyntheticOptions o;
      o.points = 400;
      o.noise_rel = 0.01;
      o.ar1 = ar1;
      o.noise_seed = seed;
      const Curve c = FormCurve("c", TrueConstants(), D2zControls(0.5, 20, 400), 2.0, o);
      moved += Moved(c.points, WithoutSpikes(c.points));
      points += c.points.size();
    }
  }
  EXPECT_EQ(moved, 0u) << "of " << points << " points";
  // No noise at all (the fast fall of warmup included), and a smoothed log rounded to 4
  // decimals (the public curves' format).
  SyntheticOptions o;
  o.points = 400;
  Curve clean = FormCurve("clean", TrueConstants(), D2zControls(0.5, 20, 400), 3.0, o);
  EXPECT_EQ(Moved(clean.points, WithoutSpikes(clean.points)), 0u);
  for (CurvePoint& p : clean.points) p.loss = std::round(p.loss * 1e4) / 1e4;
  EXPECT_EQ(Moved(clean.points, WithoutSpikes(clean.points)), 0u);
}

TEST(WithoutSpikes, AnIsolatedSpikeTakesItsNeighboursMedianAndNothingElseMoves) {
  Curve c = Noisy("c", 2.0, 7);
  const std::vector<CurvePoint> before = c.points;
  c.points[60].loss *= 3;     // Early, where the curve still falls fast.
  c.points[250].loss *= 1.1;  // Late, a 10% jump over 1% noise.
  const std::vector<CurvePoint> out = WithoutSpikes(c.points);
  EXPECT_EQ(Moved(before, out), 2u);
  EXPECT_NEAR(out[60].loss, before[60].loss, 0.03 * before[60].loss);
  EXPECT_NEAR(out[250].loss, before[250].loss, 0.03 * before[250].loss);
}

TEST(WithoutSpikes, AReferenceWithASpikePredictsAsTheCleanOne) {
  // The quickstart's case: one reference run, a 3x spike where trials align at 15%.
  const Curve ref_clean = Noisy("ref", 2.3, 3, 122);
  Curve ref_spiked = ref_clean;
  ref_spiked.points[13].loss *= 3;  // Fraction 0.11.
  const Curve trial = Noisy("trial", 1.9, 4, 483);
  auto clean = EmpiricalReference::FromCurves({ref_clean});
  auto spiked = EmpiricalReference::FromCurves({ref_spiked});
  ASSERT_TRUE(clean.ok() && spiked.ok());
  const std::vector<CurvePoint> prefix = PrefixTo(trial.points, 0.15);
  auto a = AlignAndPredict(prefix, **clean, 0.1);
  auto b = AlignAndPredict(prefix, **spiked, 0.1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(b->final_loss / a->final_loss, 1.0, 0.005);
  EXPECT_NEAR(b->noise_half_width, a->noise_half_width, 0.01);
}

TEST(WithoutSpikes, ASpikeInTheTrialsWindowDoesNotMoveItsPrediction) {
  const Curve ref = Noisy("ref", 2.3, 3, 1000);
  auto reference = EmpiricalReference::FromCurves({ref});
  ASSERT_TRUE(reference.ok());
  const Curve trial = Noisy("trial", 1.9, 4, 1000);
  std::vector<CurvePoint> prefix = PrefixTo(trial.points, 0.15);
  auto a = AlignAndPredict(prefix, **reference, 0.1);
  prefix[prefix.size() - 10].loss *= 2.5;
  auto b = AlignAndPredict(prefix, **reference, 0.1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(b->final_loss / a->final_loss, 1.0, 0.002);
  EXPECT_NEAR(b->noise_half_width, a->noise_half_width, 0.005);
}

}  // namespace
}  // namespace augur::predictor
