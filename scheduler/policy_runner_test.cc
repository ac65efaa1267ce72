#include "scheduler/policy_runner.h"

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "predictor/model.h"
#include "scheduler/model_cache.h"

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

// Both stages of a PolicyRound on a whole group, as the scheduler runs them: decisions for the
// non-reference trials of `group` (one collapse group) at `m`, only for those in `only` when
// it is given.
absl::StatusOr<std::vector<v1::Decision>> DecideGroup(const v1::StoppingPolicy& policy,
                                                      const std::vector<TrialCurve>& group,
                                                      const std::vector<TrialCurve>& references,
                                                      double milestone_fraction,
                                                      int64_t now_unix_ms,
                                                      const std::set<std::string>* only = nullptr) {
  if (policy.kind() == v1::POLICY_KIND_NONE || group.empty()) return std::vector<v1::Decision>{};
  ASSIGN_OR_RETURN(PolicyRound round, PolicyRound::Prepare(policy, references));
  predictor::SummarizedGroup summarized;
  summarized.group_id = CollapseGroupKey(group.front().trial->controls());
  std::map<std::string, const TrialCurve*> points_of;
  for (const TrialCurve& t : group) {
    const std::string& id = t.trial->trial_id();
    const bool wanted = only == nullptr || only->count(id) > 0;
    summarized.trials.push_back(
        {id, ToPredictorState(t.trial->state()), round.Summarize(t, milestone_fraction), wanted});
    if (wanted) points_of[id] = &t;
  }
  return round.Decide(summarized, milestone_fraction, now_unix_ms, points_of);
}

TEST(PolicyRunner, GroupKeyIgnoresTheSearchedValuesButNotTheModelSize) {
  v1::CurveControls a = MakeCurve("a", 1.0, false, 1).trial->controls();
  a.set_params(100000);
  v1::CurveControls b = a;
  b.set_peak_lr(0.5);
  b.set_tau(0.1);
  b.set_weight_decay(0.3);
  EXPECT_EQ(CollapseGroupKey(a), CollapseGroupKey(b));
  b.set_params(a.params() * 2);
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

// A waiting trial's preview is what its decision will store, for policies that predict; the
// others' summaries are current losses, which are not shown as predictions.
TEST(PolicyRound, APreviewIsTheDecisionsPredictionAndOnlyForPoliciesThatPredict) {
  v1::StoppingPolicy policy;
  policy.set_kind(v1::POLICY_KIND_COLLAPSE);
  policy.add_milestone_fractions(0.3);
  const std::vector<TrialCurve> refs = {MakeCurve("ref", 1.0, true, kSteps)};
  const TrialCurve good = MakeCurve("good", 0.9, false, 120);
  auto round = PolicyRound::Prepare(policy, refs);
  ASSERT_TRUE(round.ok()) << round.status();
  auto preview = round->Preview(round->Summarize(good, 0.3), good, 0.3);
  ASSERT_TRUE(preview.has_value());
  auto decisions = DecideGroup(policy, {good, MakeCurve("bad", 1.1, false, 120)}, refs, 0.3, 1);
  ASSERT_TRUE(decisions.ok()) << decisions.status();
  const v1::Prediction& decided = decisions->front().trial_id() == "good"
                                      ? decisions->front().prediction()
                                      : decisions->back().prediction();
  EXPECT_DOUBLE_EQ(preview->final_loss(), decided.final_loss());
  EXPECT_DOUBLE_EQ(preview->final_loss_interval().low(), decided.final_loss_interval().low());
  EXPECT_DOUBLE_EQ(preview->deviation(), decided.deviation());
  EXPECT_DOUBLE_EQ(preview->at_fraction(), 0.3);

  policy.set_kind(v1::POLICY_KIND_TOP_K);
  auto topk = PolicyRound::Prepare(policy, refs);
  ASSERT_TRUE(topk.ok());
  EXPECT_FALSE(topk->Preview(topk->Summarize(good, 0.3), good, 0.3).has_value());
  policy.set_kind(v1::POLICY_KIND_COLLAPSE);
  auto unreferenced = PolicyRound::Prepare(policy, {});  // Waiting for its reference runs.
  ASSERT_TRUE(unreferenced.ok());
  ASSERT_TRUE(unreferenced->waiting());
  EXPECT_FALSE(unreferenced->Preview(round->Summarize(good, 0.3), good, 0.3).has_value())
      << "nothing to predict with before the reference runs end";
}

TEST(PolicyRunner, AStopReasonNamesTheLeaderByItsShortId) {
  v1::StoppingPolicy policy;
  policy.set_kind(v1::POLICY_KIND_COLLAPSE);
  policy.add_milestone_fractions(0.3);
  policy.set_keep_top(1);
  policy.set_use_interval(true);  // The paired rule, whose reasons name the leader.
  const std::vector<TrialCurve> refs = {MakeCurve("s-1/ref", 1.0, true, kSteps)};
  const std::vector<TrialCurve> group = {MakeCurve("s-1/t001", 0.9, false, 120),
                                         MakeCurve("s-1/t002", 1.1, false, 120)};
  auto decisions = DecideGroup(policy, group, refs, 0.3, 1);
  ASSERT_TRUE(decisions.ok()) << decisions.status();
  bool stopped = false;
  for (const v1::Decision& d : *decisions) {
    if (d.trial_id() != "s-1/t002") continue;
    stopped = d.action() == v1::DECISION_ACTION_STOP;
    EXPECT_NE(d.reason().find("from the leader t001 ("), std::string::npos) << d.reason();
    EXPECT_EQ(d.reason().find("s-1/"), std::string::npos) << d.reason();
  }
  EXPECT_TRUE(stopped);
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

namespace augur {
namespace {

TEST(PolicyRound, ReferenceKeyNamesWhatSummariesDependOn) {
  v1::StoppingPolicy collapse;
  collapse.set_kind(v1::POLICY_KIND_COLLAPSE);
  TrialCurve running_ref = MakeCurve("r2", 1.0, true, 10);
  std::const_pointer_cast<v1::Trial>(running_ref.trial)->set_state(v1::TRIAL_STATE_RUNNING);
  const std::vector<TrialCurve> refs = {MakeCurve("r1", 1.0, true, kSteps), running_ref};
  EXPECT_EQ(PolicyRound::ReferenceKey(collapse, refs), "empirical:r1");  // Complete ones only.
  EXPECT_EQ(PolicyRound::ReferenceKey(collapse, {}), "");
  collapse.set_model_path("/models/m.json");
  EXPECT_EQ(PolicyRound::ReferenceKey(collapse, refs), "form:/models/m.json");
}

// The client embeds the fitted model in the spec: the round uses it and never opens the path
// (which names a file on the client's host); without it, the path is read.
TEST(PolicyRound, AnEmbeddedModelIsUsedWithoutOpeningItsPath) {
  predictor::PredictorModel model;
  predictor::Calibration cal;
  cal.schedule_key = predictor::kPooledKey;
  cal.constants = {0.1, -0.5, 1.0, 0.0};
  model.calibrations.push_back(cal);
  v1::StoppingPolicy collapse;
  collapse.set_kind(v1::POLICY_KIND_COLLAPSE);
  collapse.set_model_path("/nonexistent/augur/model.json");
  // Only the path (a sweep stored before submit embedded models): refused without opening it.
  const auto unembedded = PolicyRound::Prepare(collapse, {});
  EXPECT_EQ(unembedded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(unembedded.status().message().find("resubmit"), std::string::npos)
      << unembedded.status();
  collapse.set_model_json(predictor::ModelToJson(model));
  ModelCache cache;
  auto round = PolicyRound::Prepare(collapse, {}, &cache);
  ASSERT_TRUE(round.ok()) << round.status();
  collapse.set_model_json("{not json");
  EXPECT_FALSE(PolicyRound::Prepare(collapse, {}, &cache).ok());
}

TEST(PolicyRound, QuickSummaryOnlyWhereThePolicyNeedsNothingMore) {
  const TrialCurve early = MakeCurve("early", 1.0, false, 40);   // At 10%.
  const TrialCurve there = MakeCurve("there", 1.0, false, 121);  // Past 30%.
  v1::StoppingPolicy median;
  median.set_kind(v1::POLICY_KIND_MEDIAN);
  auto round = PolicyRound::Prepare(median, {});
  ASSERT_TRUE(round.ok()) << round.status();
  auto quick = round->QuickSummary(early.points, 0.3);
  ASSERT_TRUE(quick.has_value());
  EXPECT_FALSE(quick->reached);
  EXPECT_FALSE(quick->pooled);
  EXPECT_DOUBLE_EQ(quick->progress, 0.1);
  EXPECT_FALSE(round->QuickSummary(there.points, 0.3).has_value());  // Reached: the policy's.
  const predictor::TrialSummary full = round->Summarize(there, 0.3);
  EXPECT_TRUE(full.reached);
  EXPECT_TRUE(full.pooled);
  // ASHA compares at its rung, which a trial short of m may have reached: never quick.
  v1::StoppingPolicy asha;
  asha.set_kind(v1::POLICY_KIND_ASHA);
  auto asha_round = PolicyRound::Prepare(asha, {});
  ASSERT_TRUE(asha_round.ok());
  EXPECT_FALSE(asha_round->QuickSummary(early.points, 0.3).has_value());
  const TrialCurve past_rung = MakeCurve("past_rung", 1.0, false, 80);  // At 20%.
  const predictor::TrialSummary at_rung = asha_round->Summarize(past_rung, 0.3);
  EXPECT_FALSE(at_rung.reached);
  EXPECT_TRUE(at_rung.pooled);  // Its loss at the 16% rung (grace 1%, factor 4).
  // Collapse without a reference waits: nothing but divergence is read, so always quick.
  v1::StoppingPolicy collapse;
  collapse.set_kind(v1::POLICY_KIND_COLLAPSE);
  auto waiting = PolicyRound::Prepare(collapse, {});
  ASSERT_TRUE(waiting.ok());
  EXPECT_TRUE(waiting->waiting());
  TrialCurve bad = there;
  bad.points[60].loss = std::nan("");
  auto diverged = waiting->QuickSummary(bad.points, 0.3);
  ASSERT_TRUE(diverged.has_value());
  EXPECT_EQ(diverged->diverged_step, 61);
}

TEST(PolicyRound, DecisionsOnlyForWantedTrialsFromTheWholeGroup) {
  v1::StoppingPolicy median;
  median.set_kind(v1::POLICY_KIND_MEDIAN);
  median.add_milestone_fractions(0.3);
  std::vector<TrialCurve> group;
  for (int i = 0; i < 6; ++i) {
    // t5 far worse than the others: its best loss is above their running means.
    group.push_back(MakeCurve("t" + std::to_string(i), i == 5 ? 3.0 : 1.0 + 0.02 * i, false, 121));
  }
  const std::set<std::string> only = {"t0", "t5"};
  auto all = DecideGroup(median, group, {}, 0.3, 7);
  auto some = DecideGroup(median, group, {}, 0.3, 7, &only);
  ASSERT_TRUE(all.ok() && some.ok());
  ASSERT_EQ(some->size(), 2u);
  for (const v1::Decision& d : *some) {
    EXPECT_TRUE(only.count(d.trial_id()));
    for (const v1::Decision& e : *all) {
      if (e.trial_id() == d.trial_id()) {
        EXPECT_EQ(e.action(), d.action());
        EXPECT_EQ(e.reason(), d.reason());
      }
    }
  }
  // The best stays, the worst goes: the comparison saw all six.
  EXPECT_EQ((*some)[0].trial_id() == "t0" ? (*some)[0].action() : (*some)[1].action(),
            v1::DECISION_ACTION_CONTINUE);
  EXPECT_EQ((*some)[0].trial_id() == "t5" ? (*some)[0].action() : (*some)[1].action(),
            v1::DECISION_ACTION_STOP);
}

}  // namespace
}  // namespace augur
