#include "scheduler/policy_runner.h"

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace augur {
namespace {

constexpr int kSteps = 400;

double Shape(double x) { return 2.0 + 3.0 * std::pow(1.0 - x, 2.0) + 0.5 / (x + 0.05); }

TrialCurve MakeCurve(const std::string& id, double scale, bool reference, int last_step,
                     double bump_at = -1) {
  TrialCurve c;
  auto trial = std::make_shared<v1::Trial>();
  trial->set_trial_id(id);
  trial->set_is_reference(reference);
  trial->set_state(reference ? v1::TRIAL_STATE_COMPLETED : v1::TRIAL_STATE_RUNNING);
  auto* k = trial->mutable_controls();
  k->set_tokens_per_param(20);
  k->set_tau(0.2);
  k->mutable_schedule()->set_shape(v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  k->mutable_schedule()->set_warmup_fraction(0.1);
  k->set_total_steps(kSteps);
  c.trial = std::move(trial);
  for (int s = 1; s <= last_step; ++s) {
    const double x = static_cast<double>(s) / kSteps;
    predictor::CurvePoint p;
    p.step = s;
    p.fraction = x;
    double loss = scale * Shape(x);
    if (bump_at > 0 && x > bump_at) loss *= 1.05;  // Something went wrong mid-run.
    p.loss = loss;
    c.points.push_back(p);
  }
  return c;
}

TEST(PolicyRunner, GroupKeyIgnoresLearningRateButNotTau) {
  const v1::CurveControls a = MakeCurve("a", 1.0, false, 1).trial->controls();
  v1::CurveControls b = a;
  b.set_peak_lr(0.5);
  EXPECT_EQ(CollapseGroupKey(a), CollapseGroupKey(b));
  b.set_tau(0.1);
  EXPECT_NE(CollapseGroupKey(a), CollapseGroupKey(b));
}

TEST(PolicyRunner, CollapseDecisionsCarryPredictionsAndDeviation) {
  v1::StoppingPolicy policy;
  policy.set_kind(v1::POLICY_KIND_COLLAPSE);
  policy.add_milestone_fractions(0.3);
  policy.set_keep_top(1);
  const std::vector<TrialCurve> refs = {MakeCurve("ref", 1.0, true, kSteps)};
  const std::vector<TrialCurve> group = {MakeCurve("good", 0.9, false, 120),
                                         MakeCurve("bad", 1.1, false, 120),
                                         MakeCurve("bumped", 0.95, false, 120, 0.2)};
  auto decisions = DecideGroup(policy, group, refs, 0.3, 1234);
  ASSERT_TRUE(decisions.ok()) << decisions.status();
  ASSERT_EQ(decisions->size(), 3u);
  std::map<std::string, v1::Decision> by_id;
  for (const auto& d : *decisions) by_id[d.trial_id()] = d;
  // Curves that are scaled copies of the reference: exact final loss, no deviation.
  const double ref_final = Shape(1.0);
  EXPECT_NEAR(by_id["good"].prediction().final_loss(), 0.9 * ref_final, 1e-3 * ref_final);
  EXPECT_NEAR(by_id["bad"].prediction().final_loss(), 1.1 * ref_final, 1e-3 * ref_final);
  // Smoothing and the empirical reference's resampling leave a small residual on a perfect copy;
  // a curve that jumps by 5% mid-run deviates several times more.
  const double clean = by_id["good"].prediction().deviation();
  const double bumped = by_id["bumped"].prediction().deviation();
  EXPECT_LT(clean, 0.015);
  EXPECT_GT(bumped, 0.03);
  EXPECT_GT(bumped, 3 * clean);
  EXPECT_EQ(by_id["bad"].action(), v1::DECISION_ACTION_STOP);
  EXPECT_EQ(by_id["good"].action(), v1::DECISION_ACTION_CONTINUE);
  EXPECT_EQ(by_id["good"].decided_unix_ms(), 1234);
  EXPECT_NE(by_id["good"].prediction().reference().find("empirical:ref"), std::string::npos);
}

TEST(PolicyRunner, WithoutAReferenceNobodyIsStoppedOnAGuess) {
  v1::StoppingPolicy policy;
  policy.set_kind(v1::POLICY_KIND_COLLAPSE);
  policy.add_milestone_fractions(0.3);
  const std::vector<TrialCurve> group = {MakeCurve("a", 0.9, false, 120),
                                         MakeCurve("b", 1.5, false, 120)};
  auto decisions = DecideGroup(policy, group, {}, 0.3, 0);
  ASSERT_TRUE(decisions.ok());
  for (const auto& d : *decisions) {
    EXPECT_EQ(d.action(), v1::DECISION_ACTION_CONTINUE);
    EXPECT_EQ(d.reason(), "waiting for reference runs");
  }
}

}  // namespace
}  // namespace augur
