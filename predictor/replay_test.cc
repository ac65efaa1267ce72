#include "predictor/replay.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

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

// The sweep replayed under the collapse policy with Refs().
absl::StatusOr<ReplayResult> ReplayCollapse(const std::vector<Curve>& sweep,
                                            const ReplayOptions& options = {}) {
  PolicyConfig cfg;
  cfg.name = "collapse";
  cfg.references = Refs();
  auto collapse = MakePolicy(cfg);
  if (!collapse.ok()) return collapse.status();
  return Replay(sweep, **collapse, options);
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
  ASSERT_EQ(r->errors.size(), ReplayOptions{}.milestones.size());  // One per default milestone.
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

// Every live trial has the policy's decision at every milestone until it is stopped; the last
// one of a stopped trial is the stop, with its reason.
TEST(ReplayTest, EachTrialKeepsThePolicysDecisionAtEachMilestone) {
  auto r = ReplayCollapse(Sweep(kK));
  ASSERT_TRUE(r.ok()) << r.status();
  int stopped = 0;
  for (const TrialOutcome& t : r->trials) {
    ASSERT_FALSE(t.decisions.empty()) << t.id;
    EXPECT_DOUBLE_EQ(t.decisions.front().milestone, 0.1) << t.id;
    EXPECT_TRUE(std::isfinite(t.decisions.front().predicted_final_loss)) << t.id;
    for (size_t i = 0; i + 1 < t.decisions.size(); ++i) {
      EXPECT_FALSE(t.decisions[i].stop) << t.id;  // Nothing is decided after a stop.
      EXPECT_LT(t.decisions[i].milestone, t.decisions[i + 1].milestone) << t.id;
    }
    if (t.stopped) {
      ++stopped;
      EXPECT_TRUE(t.decisions.back().stop) << t.id;
      EXPECT_EQ(t.decisions.back().reason, t.reason) << t.id;
      EXPECT_DOUBLE_EQ(t.decisions.back().milestone, t.stop_fraction) << t.id;
    } else {
      EXPECT_EQ(t.decisions.size(), ReplayOptions{}.milestones.size()) << t.id;
    }
  }
  EXPECT_GT(stopped, 0);
}

// Scored on other finals (say validation loss), chosen, best and regret follow them, not the
// curves the policy decided on.
TEST(ReplayTest, ScoresOnTheGivenFinals) {
  const auto sweep = Sweep(kK);
  PolicyConfig cfg;
  cfg.name = "none";
  auto none = MakePolicy(cfg);
  ASSERT_TRUE(none.ok());
  ReplayOptions o;
  for (const Curve& c : sweep) o.score_finals[c.id] = c.id == "t0" ? 1.0 : 2.0;
  auto r = Replay(sweep, **none, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->best_id, "t0");
  EXPECT_EQ(r->chosen_id, "t0");
  EXPECT_DOUBLE_EQ(r->chosen_final_loss, 1.0);
  EXPECT_DOUBLE_EQ(r->regret, 0.0);
  EXPECT_DOUBLE_EQ(r->trials[0].score_final_loss, 1.0);

  // Collapse stops t0 (the worst run by its curve): the regret is counted on the scores.
  r = ReplayCollapse(sweep, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->trials[0].id, "t0");
  ASSERT_TRUE(r->trials[0].stopped);
  EXPECT_EQ(r->best_id, "t0");
  EXPECT_NE(r->chosen_id, "t0");
  EXPECT_DOUBLE_EQ(r->regret, 1.0);
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

// Compute is counted in tokens (x params), not steps: two trials of one token budget cost the
// same although the smaller batch takes twice the steps, so stopping either one at half way
// saves a quarter of the sweep.
TEST(ReplayTest, ComputeCountsTokensNotSteps) {
  std::vector<Curve> sweep;
  for (auto [batch, steps, final_loss] :
       std::vector<std::tuple<double, int64_t, double>>{{8, 200, 3.0}, {16, 100, 3.5}}) {
    Curve c;
    c.id = "b" + std::to_string(static_cast<int>(batch));
    c.controls.params = 1e6;
    c.controls.batch_tokens = batch;
    c.controls.total_steps = steps;
    c.complete = true;
    for (int64_t s = 1; s <= steps; ++s) {
      const double f = static_cast<double>(s) / steps;
      c.points.push_back({.step = s, .fraction = f, .loss = final_loss + 1.0 - f});
    }
    sweep.push_back(std::move(c));
  }
  PolicyConfig cfg;
  cfg.name = "topk";
  cfg.topk_fraction = 0.5;
  auto topk = MakePolicy(cfg);
  ASSERT_TRUE(topk.ok());
  ReplayOptions options;
  options.milestones = {};  // Only top-k's own decision.
  auto r = Replay(sweep, **topk, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->chosen_id, "b8");
  EXPECT_NEAR(r->compute_fraction, 0.75, 1e-9);  // By steps it would be 250 / 300.
}

}  // namespace
}  // namespace augur::predictor
