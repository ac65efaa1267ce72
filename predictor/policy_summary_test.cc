// The two stages of a policy (Summarize per trial, DecideSummarized per group), which the
// scheduler runs apart so that a decision round recomputes only the trials new at a milestone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "predictor/policy.h"
#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;

const FormConstants kConstants{0.1, -0.5, 1.0, 0.0};

std::shared_ptr<const ReferenceSource> References() { return testing::ModelReferences(kConstants); }

struct Member {
  double tau;
  double final_loss;
  double progress;  // How far the trial has run.
  TrialState state;
};

// Twelve noisy trials at different progress and in different states.
GroupView Group() {
  const std::vector<Member> members = {
      {0.4, 3.10, 0.45, TrialState::kRunning},   {0.2, 3.05, 0.32, TrialState::kRunning},
      {0.1, 3.02, 0.31, TrialState::kRunning},   {0.05, 3.00, 0.30, TrialState::kRunning},
      {0.025, 3.04, 0.21, TrialState::kRunning}, {0.3, 3.08, 0.12, TrialState::kRunning},
      {0.15, 3.03, 1.00, TrialState::kComplete}, {0.6, 3.20, 0.20, TrialState::kStopped},
      {0.08, 3.01, 0.50, TrialState::kRunning},  {0.5, 3.15, 0.33, TrialState::kRunning},
      {0.12, 3.02, 0.05, TrialState::kRunning},  {0.35, 3.09, 0.40, TrialState::kDiverged},
  };
  GroupView g;
  g.group_id = "g";
  for (size_t i = 0; i < members.size(); ++i) {
    const CurveControls c = D2zControls(members[i].tau, 20);
    SyntheticOptions o;
    o.noise_rel = 0.003;
    o.noise_seed = 7 + i;
    const Curve curve = FormCurve("t" + std::to_string(i), kConstants, c, members[i].final_loss, o);
    g.trials.push_back(
        {curve.id, c, PrefixTo(curve.points, members[i].progress), members[i].state});
  }
  return g;
}

std::vector<PolicyConfig> Configs() {
  std::vector<PolicyConfig> out;
  for (const std::string& name : PolicyNames()) {
    PolicyConfig c;
    c.name = name;
    c.references = References();
    c.topk_fraction = 0.2;
    out.push_back(c);
  }
  return out;
}

TEST(PolicySummaryTest, AskingForSomeTrialsGivesTheirDecisionsFromTheWholeComparison) {
  const GroupView g = Group();
  for (const PolicyConfig& config : Configs()) {
    auto policy = MakePolicy(config);
    ASSERT_TRUE(policy.ok()) << config.name;
    for (double m : {0.1, 0.2, 0.3}) {
      std::map<std::string, Decision> all;
      for (const Decision& d : (*policy)->Decide(g, m)) all[d.trial_id] = d;
      SummarizedGroup s;
      for (size_t i = 0; i < g.trials.size(); ++i) {
        const TrialView& t = g.trials[i];
        // Every other trial wanted: the rest still count in the comparison.
        s.trials.push_back({t.id, t.state, (*policy)->Summarize(t, m), i % 2 == 0});
      }
      const std::vector<Decision> some = (*policy)->DecideSummarized(s, m);
      size_t wanted_running = 0;
      for (size_t i = 0; i < g.trials.size(); i += 2) {
        if (g.trials[i].state == TrialState::kRunning) ++wanted_running;
      }
      EXPECT_EQ(some.size(), wanted_running) << config.name << " at " << m;
      for (const Decision& d : some) {
        const int index = std::stoi(d.trial_id.substr(1));
        EXPECT_EQ(index % 2, 0) << config.name << ": decision for an unwanted trial";
        ASSERT_TRUE(all.count(d.trial_id));
        EXPECT_EQ(d.action, all[d.trial_id].action) << config.name << " " << d.trial_id;
        EXPECT_EQ(d.reason, all[d.trial_id].reason) << config.name << " " << d.trial_id;
      }
    }
  }
}

// What the scheduler relies on to keep a summary: once a trial is past m, the points after m
// do not change what its summary says at m.
TEST(PolicySummaryTest, ASummaryDependsOnThePointsUpToTheMilestoneOnly) {
  const CurveControls c = D2zControls(0.1, 20);
  SyntheticOptions o;
  o.noise_rel = 0.003;
  const Curve curve = FormCurve("x", kConstants, c, 3.02, o);
  for (const PolicyConfig& config : Configs()) {
    auto policy = MakePolicy(config);
    ASSERT_TRUE(policy.ok());
    for (double m : {0.1, 0.2, 0.3}) {
      const TrialView shorter{"x", c, PrefixTo(curve.points, m + 0.01), TrialState::kRunning};
      const TrialView longer{"x", c, PrefixTo(curve.points, 0.9), TrialState::kRunning};
      const TrialSummary a = (*policy)->Summarize(shorter, m);
      const TrialSummary b = (*policy)->Summarize(longer, m);
      EXPECT_TRUE(a.reached);
      EXPECT_EQ(a.reached, b.reached);
      EXPECT_EQ(a.pooled, b.pooled) << config.name << " at " << m;
      EXPECT_EQ(a.note, b.note);
      auto same = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
      EXPECT_TRUE(same(a.entry.value, b.entry.value)) << config.name << " at " << m;
      EXPECT_TRUE(same(a.entry.rank_lower, b.entry.rank_lower)) << config.name;
      EXPECT_TRUE(same(a.entry.current, b.entry.current)) << config.name;
      EXPECT_TRUE(same(a.best, b.best)) << config.name;
      // Top-k has a value from its fraction (0.2) on; "none" never has one.
      if (config.name != "none" && !(config.name == "topk" && m < config.topk_fraction)) {
        EXPECT_TRUE(a.pooled) << config.name << " at " << m;
      }
    }
  }
}

TEST(PolicySummaryTest, DivergenceAndProgressAreInTheSummary) {
  GroupView g = Group();
  TrialView t = g.trials[1];
  t.points[40].loss = std::nan("");
  PolicyConfig config;
  config.name = "median";
  auto policy = MakePolicy(config);
  ASSERT_TRUE(policy.ok());
  const TrialSummary s = (*policy)->Summarize(t, 0.3);
  EXPECT_EQ(s.diverged_step, t.points[40].step);
  EXPECT_FALSE(s.pooled);
  EXPECT_DOUBLE_EQ(s.progress, t.points.back().fraction);
  const TrialSummary early = (*policy)->Summarize(g.trials[10], 0.3);
  EXPECT_FALSE(early.reached);
  EXPECT_EQ(early.diverged_step, -1);
}

// Reached() answers most trials without the median spacing; it must agree with the rule.
TEST(PolicySummaryTest, ReachedAgreesWithTheMedianSpacingRule) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> gap(0.0005, 0.03);
  std::uniform_int_distribution<int> count(2, 60);
  int reached = 0, tried = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    TrialView t;
    double f = 0;
    const int n = count(rng);
    const bool uneven = trial % 3 == 0;  // A few huge gaps: median far from the mean.
    for (int k = 0; k < n; ++k) {
      f += uneven && k % 7 == 6 ? 0.2 : gap(rng);
      t.points.push_back({k + 1, 0.0, f, 3.0, 0.0});
    }
    for (double m : {0.1, 0.2, 0.3, 0.5}) {
      const double tol = std::max(0.005, 1.5 * MedianSpacing(t.points));
      const bool expected = Progress(t.points) >= m - tol;
      EXPECT_EQ(Reached(t, m), expected) << "trial " << trial << " m " << m;
      reached += expected;
      ++tried;
    }
  }
  EXPECT_GT(reached, tried / 10);  // Both answers are exercised.
  EXPECT_LT(reached, tried * 9 / 10);
}

}  // namespace
}  // namespace augur::predictor
