#include "predictor/replay.h"

#include <gtest/gtest.h>

#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;

// An LR sweep (tau falls as LR grows) under D2Z; the smallest-but-one tau ends best but
// sits high mid-run.
std::vector<Curve> Sweep(const FormConstants& k) {
  std::vector<Curve> out;
  const std::vector<std::pair<double, double>> taus = {
      {0.4, 3.10}, {0.2, 3.05},   {0.1, 3.02},   {0.05, 3.00},  {0.025, 3.04},
      {0.3, 3.07}, {0.15, 3.035}, {0.075, 3.01}, {0.0375, 3.02}};
  int i = 0;
  for (auto [tau, final_loss] : taus) {
    SyntheticOptions o;
    o.points = 400;
    o.noise_rel = 0.002;
    o.noise_seed = 77;  // Common random numbers: the same data order for every trial.
    out.push_back(FormCurve("t" + std::to_string(i++), k, D2zControls(tau, 20), final_loss, o));
  }
  return out;
}

const FormConstants kK{0.1, -0.5, 1.0, 0.0};

std::shared_ptr<const ReferenceSource> Refs() {
  // Fitted on proxy curves from outside the sweep (other taus, other final losses).
  std::vector<Curve> proxies;
  for (double tau : {0.02, 0.06, 0.12, 0.25, 0.5}) {
    proxies.push_back(
        FormCurve("p", kK, D2zControls(tau, 20), 4.0, SyntheticOptions{.points = 300}));
  }
  auto model = FitModel(proxies, FitOptions{});
  EXPECT_TRUE(model.ok());
  return std::make_shared<ModelReferenceSource>(*model);
}

TEST(ReplayTest, CollapseFindsTheLateWinnerAshaDoesNot) {
  const auto sweep = Sweep(kK);
  PolicyConfig cfg;
  cfg.name = "collapse";
  cfg.references = Refs();
  auto collapse = MakePolicy(cfg);
  ASSERT_TRUE(collapse.ok());
  auto r = Replay(sweep, **collapse);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->best_id, "t3");
  EXPECT_EQ(r->chosen_id, "t3");
  EXPECT_NEAR(r->regret, 0.0, 1e-12);
  EXPECT_LT(r->compute_fraction, 0.35);
  ASSERT_EQ(r->errors.size(), 3u);
  EXPECT_LT(r->errors[0].median_abs_rel_error, 0.01);

  cfg.name = "asha";
  auto asha = MakePolicy(cfg);
  ASSERT_TRUE(asha.ok());
  auto ra = Replay(sweep, **asha);
  ASSERT_TRUE(ra.ok());
  EXPECT_NE(ra->chosen_id, "t3");
  EXPECT_GT(ra->regret, 0.005);

  cfg.name = "none";
  auto none = MakePolicy(cfg);
  auto rn = Replay(sweep, **none);
  ASSERT_TRUE(rn.ok());
  EXPECT_DOUBLE_EQ(rn->compute_fraction, 1.0);
  EXPECT_EQ(rn->chosen_id, "t3");
}

TEST(ReplayTest, NeverLooksBeyondTheMilestoneToDecide) {
  auto sweep = Sweep(kK);
  auto altered = sweep;
  // Change everything after 30% (the last milestone): decisions must not change.
  for (Curve& c : altered) {
    for (CurvePoint& p : c.points) {
      if (p.fraction > 0.3 + 1e-9) p.loss *= 1.0 + 0.01 * (c.id[1] - '0');
    }
  }
  PolicyConfig cfg;
  cfg.references = Refs();
  for (const std::string& name : PolicyNames()) {
    cfg.name = name;
    auto p = MakePolicy(cfg);
    ASSERT_TRUE(p.ok());
    auto a = Replay(sweep, **p);
    auto b = Replay(altered, **p);
    ASSERT_TRUE(a.ok() && b.ok());
    for (size_t i = 0; i < a->trials.size(); ++i) {
      if (name == "asha") continue;  // ASHA's last rung (64%) lies beyond 30%.
      EXPECT_EQ(a->trials[i].stop_fraction, b->trials[i].stop_fraction) << name;
    }
    EXPECT_NEAR(a->compute_fraction, b->compute_fraction, name == "asha" ? 1.0 : 1e-12);
  }
}

TEST(ReplayTest, DivergedRunsEndAndAreNeverChosen) {
  auto sweep = Sweep(kK);
  sweep[3].points[300].loss = std::nan("");  // The true best diverges at 75%.
  PolicyConfig cfg;
  cfg.name = "none";
  auto p = MakePolicy(cfg);
  auto r = Replay(sweep, **p);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->trials[3].diverged);
  EXPECT_NEAR(r->trials[3].stop_fraction, 0.7525, 1e-9);
  EXPECT_NE(r->chosen_id, "t3");
  EXPECT_LT(r->compute_fraction, 1.0);
}

}  // namespace
}  // namespace augur::predictor
