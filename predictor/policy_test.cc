#include "predictor/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;

// An LR sweep under D2Z where the highest useful LR (smallest tau) ends best but sits high
// mid-run: b = b_c tau^b_e with b_e < 0 gives small-tau curves a larger late drop.
const FormConstants kSweepConstants{0.1, -0.5, 1.0, 0.0};
const std::vector<std::pair<double, double>> kSweep = {
    {0.4, 3.10}, {0.2, 3.05}, {0.1, 3.02}, {0.05, 3.00}, {0.025, 3.04}};  // (tau, final loss)

GroupView SweepAt(double x) {
  GroupView g;
  for (size_t i = 0; i < kSweep.size(); ++i) {
    const CurveControls c = D2zControls(kSweep[i].first, 20);
    const Curve curve = FormCurve("tau" + std::to_string(kSweep[i].first), kSweepConstants, c,
                                  kSweep[i].second, {});
    g.trials.push_back({curve.id, c, PrefixTo(curve.points, x), TrialState::kRunning});
  }
  return g;
}

std::shared_ptr<const ReferenceSource> ExactReferences() {
  return testing::ModelReferences(kSweepConstants);
}

std::map<std::string, Decision> ById(const std::vector<Decision>& ds) {
  std::map<std::string, Decision> m;
  for (const Decision& d : ds) m[d.trial_id] = d;
  return m;
}

const char kBest[] = "tau0.050000";

TEST(PolicyTest, EarlyLeaderLosesAtTheEnd_AshaIsFooledCollapseIsNot) {
  const GroupView g = SweepAt(0.2);
  // The trap exists: at 20% the eventual winner is not the leader on current loss.
  double best_now = 1e9;
  std::string leader;
  for (const TrialView& t : g.trials) {
    const double v = CurrentLoss(t.points, 0.2, 0.01);
    if (v < best_now) {
      best_now = v;
      leader = t.id;
    }
  }
  EXPECT_NE(leader, kBest);

  PolicyConfig asha;
  asha.name = "asha";
  auto a = MakePolicy(asha);
  ASSERT_TRUE(a.ok());
  auto asha_d = ById((*a)->Decide(g, 0.2));
  EXPECT_EQ(asha_d[kBest].action, Action::kStop) << asha_d[kBest].reason;

  PolicyConfig col;
  col.name = "collapse";
  col.milestones = {0.2};
  col.references = ExactReferences();
  auto c = MakePolicy(col);
  ASSERT_TRUE(c.ok());
  auto col_d = ById((*c)->Decide(g, 0.2));
  ASSERT_EQ(col_d.size(), kSweep.size());
  EXPECT_EQ(col_d[kBest].action, Action::kContinue) << col_d[kBest].reason;
  EXPECT_NEAR(col_d[kBest].predicted_final_loss, 3.00, 1e-6);
  int stopped = 0;
  for (auto& [id, d] : col_d) stopped += d.action == Action::kStop;
  EXPECT_EQ(stopped, 4);  // Last milestone: only the leader continues.

  PolicyConfig topk;
  topk.name = "topk";
  topk.topk_fraction = 0.2;
  auto t = MakePolicy(topk);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(ById((*t)->Decide(g, 0.2))[kBest].action, Action::kStop);
}

TEST(PolicyTest, CollapseKeepsAFractionAtEarlierMilestones) {
  PolicyConfig col;
  col.name = "collapse";
  col.milestones = {0.1, 0.2, 0.3};
  col.rule = PolicyConfig::Rule::kRank;
  col.references = ExactReferences();
  auto c = MakePolicy(col);
  ASSERT_TRUE(c.ok());
  auto d = ById((*c)->Decide(SweepAt(0.1), 0.1));
  int kept = 0;
  for (auto& [id, x] : d) kept += x.action == Action::kContinue;
  EXPECT_EQ(kept, 2);  // ceil(5 / 3).
  EXPECT_EQ(d[kBest].action, Action::kContinue);
}

TEST(PolicyTest, NonFiniteLossEndsATrialAsDivergedUnderEveryPolicy) {
  GroupView g = SweepAt(0.3);
  g.trials[1].points[50].loss = std::numeric_limits<double>::infinity();
  for (const std::string& name : PolicyNames()) {
    PolicyConfig cfg;
    cfg.name = name;
    cfg.references = ExactReferences();
    auto p = MakePolicy(cfg);
    ASSERT_TRUE(p.ok()) << name;
    auto d = ById((*p)->Decide(g, 0.3));
    EXPECT_EQ(d[g.trials[1].id].action, Action::kStop) << name;
    EXPECT_TRUE(d[g.trials[1].id].diverged) << name;
    EXPECT_EQ(d.size(), g.trials.size()) << name;
  }
}

TEST(PolicyTest, StatelessAndOnlyRunningTrialsGetDecisions) {
  GroupView g = SweepAt(0.2);
  g.trials[0].state = TrialState::kStopped;
  g.trials[2].points = PrefixTo(g.trials[2].points, 0.05);  // Not at the milestone yet.
  PolicyConfig cfg;
  cfg.name = "collapse";
  cfg.references = ExactReferences();
  auto p = MakePolicy(cfg);
  ASSERT_TRUE(p.ok());
  const auto first = (*p)->Decide(g, 0.2);
  const auto second = (*p)->Decide(g, 0.2);
  ASSERT_EQ(first.size(), 4u);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].trial_id, second[i].trial_id);
    EXPECT_EQ(first[i].action, second[i].action);
    EXPECT_EQ(first[i].reason, second[i].reason);
  }
  EXPECT_EQ(ById(first)[g.trials[2].id].action, Action::kContinue);
  EXPECT_NE(ById(first)[g.trials[2].id].reason.find("not at milestone"), std::string::npos);
}

// A trial "t<i>" at a constant `level` over steps 1..last of a 100-step run.
TrialView ConstantTrial(int i, double level, int last) {
  TrialView t;
  t.id = "t" + std::to_string(i);
  for (int k = 1; k <= last; ++k) t.points.push_back({k, 0, k / 100.0, level, 0});
  return t;
}

std::map<std::string, Decision> MedianDecisions(const GroupView& g, double m) {
  PolicyConfig cfg;
  cfg.name = "median";
  auto p = MakePolicy(cfg);
  EXPECT_TRUE(p.ok());
  return p.ok() ? ById((*p)->Decide(g, m)) : std::map<std::string, Decision>{};
}

TEST(PolicyTest, MedianRuleStopsTrialsWorseThanTheMedian) {
  GroupView g;
  for (int i = 0; i < 5; ++i) g.trials.push_back(ConstantTrial(i, 3.0 + 0.1 * i, 50));
  auto d = MedianDecisions(g, 0.5);
  EXPECT_EQ(d["t0"].action, Action::kContinue);
  EXPECT_EQ(d["t2"].action, Action::kContinue);  // Equal to the median of the others? No: 3.15.
  EXPECT_EQ(d["t3"].action, Action::kStop);
  EXPECT_EQ(d["t4"].action, Action::kStop);
}

TEST(PolicyTest, MedianRuleComparesEachTrialWithTheMedianOfTheOthers) {
  // Constant curves, so a trial's running mean is its level. Levels repeat (ties) and one
  // trial has not reached the milestone (it counts for nobody). Checked against the median of
  // the others computed directly, for an odd and an even number of others.
  for (int n : {9, 10}) {
    GroupView g;
    std::vector<double> level;
    for (int i = 0; i < n; ++i) {
      level.push_back(3.0 + 0.1 * ((i * 7) % 5));
      g.trials.push_back(ConstantTrial(i, level.back(), i == 0 ? 20 : 50));  // t0 falls short.
    }
    auto d = MedianDecisions(g, 0.5);
    for (int i = 1; i < n; ++i) {
      std::vector<double> others;
      for (int j = 1; j < n; ++j) {
        if (j != i) others.push_back(level[j]);
      }
      std::sort(others.begin(), others.end());
      const size_t h = others.size() / 2;
      const double median = others.size() % 2 == 1 ? others[h] : 0.5 * (others[h - 1] + others[h]);
      const Decision& di = d["t" + std::to_string(i)];
      EXPECT_DOUBLE_EQ(di.compared_loss, median) << "n=" << n << " i=" << i;
      EXPECT_EQ(di.action, level[i] > median ? Action::kStop : Action::kContinue) << i;
    }
  }
}

TEST(PolicyTest, RejectsBadConfigs) {
  PolicyConfig cfg;
  cfg.name = "collapse";  // No references.
  EXPECT_FALSE(MakePolicy(cfg).ok());
  cfg.name = "bogus";
  EXPECT_FALSE(MakePolicy(cfg).ok());
  cfg.name = "asha";
  cfg.asha_reduction_factor = 1.0;
  EXPECT_FALSE(MakePolicy(cfg).ok());
}

}  // namespace
}  // namespace augur::predictor
