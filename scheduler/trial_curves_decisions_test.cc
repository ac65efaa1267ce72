// An ended trial of a milestone sweep keeps only a prefix of its curve in memory
// (trial_curves.h), and no decision changes for it: rounds planned from the curves in memory,
// before and after a reload from the store, decide as the sweep's policy does on the whole
// curves the store holds.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/memory_store.h"
#include "scheduler/policy_runner.h"
#include "scheduler/round_planner.h"
#include "scheduler/scheduler_test_util.h"
#include "scheduler/trial_curves.h"

namespace augur {
namespace {

constexpr int64_t kRunSteps = 1000;  // One point per 1/1000 of training: none merge in memory.
constexpr double kMilestones[] = {0.1, 0.15};

// How each trial of the sweep ends up: trained to `until` (a fraction), then ended in `state`
// (RUNNING: still training). Trial 0 is the group's reference run.
struct Plan {
  double scale;  // Of the reference's loss.
  double until;
  v1::TrialState state;
};
const Plan kPlans[] = {
    {1.00, 1.0, v1::TRIAL_STATE_COMPLETED}, {0.97, 1.0, v1::TRIAL_STATE_COMPLETED},
    {1.01, 1.0, v1::TRIAL_STATE_COMPLETED}, {1.08, 0.15, v1::TRIAL_STATE_STOPPED},
    {1.03, 0.5, v1::TRIAL_STATE_FAILED},    {0.99, 0.8, v1::TRIAL_STATE_DIVERGED},
    {1.12, 0.1, v1::TRIAL_STATE_STOPPED},   {0.975, 0.15, v1::TRIAL_STATE_RUNNING},
    {1.002, 0.15, v1::TRIAL_STATE_RUNNING}, {1.06, 0.15, v1::TRIAL_STATE_RUNNING},
    {0.96, 0.15, v1::TRIAL_STATE_RUNNING},
};

// A loss curve of the collapse form's kind, with a deterministic wobble so that alignments
// have residuals.
double Loss(double scale, int64_t step) {
  const double f = (step - 0.5) / kRunSteps;
  return scale * (2.0 + 1.5 * std::pow(f + 0.02, -0.3) * (1 - 0.3 * f)) *
         (1 + 0.002 * std::sin(0.7 * static_cast<double>(step)));
}

v1::StoppingPolicy DefaultPolicy() {
  v1::StoppingPolicy p;
  p.set_kind(v1::POLICY_KIND_COLLAPSE);
  for (double m : kMilestones) p.add_milestone_fractions(m);
  p.set_keep_top(1);
  p.set_asynchronous(true);  // Decided on arrival: no trial is held at a milestone.
  return p;
}

class TrialCurvesDecisionsTest : public ::testing::Test {
 protected:
  // Stores the sweep of kPlans, runs each trial as planned and tells the curves.
  void SetUp() override {
    v1::Sweep sweep;
    sweep.set_sweep_id("s1");
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    *sweep.mutable_spec()->mutable_policy() = DefaultPolicy();
    std::vector<v1::Trial> trials;
    for (size_t i = 0; i < std::size(kPlans); ++i) {
      trials.push_back(testing::MakeTrial("s1", static_cast<int>(i)));
      trials.back().mutable_config()->set_total_steps(kRunSteps);
      trials.back().mutable_controls()->set_total_steps(kRunSteps);
    }
    trials[0].set_is_reference(true);
    ASSERT_TRUE(store_.CreateSweep(sweep, trials).ok());
    curves_.EnsureLoaded("s1");
    const int n = static_cast<int>(std::size(kPlans));
    auto grants = store_.AcquireLeases("w1", absl::Hours(1), n, n);
    ASSERT_TRUE(grants.ok() && grants->size() == std::size(kPlans));
    CommittedWrites writes;
    for (const LeaseGrant& g : *grants) {
      curves_.Granted(g.trial, g.lease.fencing_token());
      const std::string& id = g.trial.trial_id();
      const Plan& plan = kPlans[std::stoi(id.substr(id.find("/t00") + 4))];
      v1::LossPointBatch b;
      b.set_trial_id(id);
      b.set_fencing_token(g.lease.fencing_token());
      for (int64_t step = 1; (step - 0.5) / kRunSteps <= plan.until; ++step) {
        v1::LossPoint* p = b.add_points();
        p->set_step(step);
        p->set_fraction((step - 0.5) / kRunSteps);
        p->set_train_loss(Loss(plan.scale, step));
      }
      ASSERT_TRUE(store_
                      .AppendPoints(PointWrite{
                          id, g.lease.fencing_token(), {b.points().begin(), b.points().end()}})
                      .ok());
      curves_.TakeArrived(b, clock_.Now());
      if (plan.state == v1::TRIAL_STATE_RUNNING) continue;
      auto ended = store_.EndLease(id, g.lease.fencing_token(), plan.state, "");
      ASSERT_TRUE(ended.ok()) << ended.status();
      writes.ended.push_back(*ended);
    }
    curves_.TakeCommitted(writes);
    group_ = CollapseGroupKey(trials[0].controls());
  }

  // The decisions of rounds planned from `curves`, by (milestone, trial).
  std::map<std::pair<double, std::string>, v1::Decision> Planned(const TrialCurves& curves) {
    RoundPlanner planner(&store_, &clock_, &curves, nullptr);
    std::map<std::pair<double, std::string>, v1::Decision> out;
    for (double m : kMilestones) {
      std::set<std::string> stopping;  // Each round alone, as the policy on whole curves.
      auto round = planner.Plan({"s1", group_, m}, clock_.Now(), stopping);
      EXPECT_TRUE(round.ok() && round->has_value()) << m;
      if (!round.ok() || !round->has_value()) continue;
      for (const v1::Decision& d : (*round)->decisions) out[{m, d.trial_id()}] = d;
    }
    return out;
  }

  // The decisions of the sweep's policy on the whole curves in the store, by (milestone,
  // trial): every trial that is not a reference in the group, the running ones wanted.
  std::map<std::pair<double, std::string>, v1::Decision> FromWholeCurves() {
    auto trials = store_.ListTrials("s1");
    EXPECT_TRUE(trials.ok()) << trials.status();
    std::vector<TrialCurve> references, others;
    for (const v1::Trial& t : *trials) {
      auto points = store_.ReadPoints(t.trial_id(), 0);
      EXPECT_TRUE(points.ok()) << points.status();
      TrialCurve c{std::make_shared<const v1::Trial>(t), ToPredictorPoints(*points)};
      (t.is_reference() ? references : others).push_back(std::move(c));
    }
    auto round = PolicyRound::Prepare(DefaultPolicy(), references);
    EXPECT_TRUE(round.ok()) << round.status();
    std::map<std::pair<double, std::string>, v1::Decision> out;
    for (double m : kMilestones) {
      predictor::SummarizedGroup group;
      group.group_id = group_;
      std::map<std::string, const TrialCurve*> points_of;
      for (const TrialCurve& c : others) {
        const bool running = c.trial->state() == v1::TRIAL_STATE_RUNNING;
        group.trials.push_back({c.trial->trial_id(), ToPredictorState(c.trial->state()),
                                round->Summarize(c, m), running});
        if (running) points_of[c.trial->trial_id()] = &c;
      }
      for (v1::Decision& d : round->Decide(group, m, clock_.NowUnixMs(), points_of)) {
        out[{m, d.trial_id()}] = std::move(d);
      }
    }
    return out;
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  TrialCurves curves_{&store_, &clock_, [](CurveEvent) {}};
  std::string group_;
};

void ExpectSameDecisions(const std::map<std::pair<double, std::string>, v1::Decision>& got,
                         const std::map<std::pair<double, std::string>, v1::Decision>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [key, d] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end()) << key.first << " " << key.second;
    EXPECT_EQ(it->second.SerializeAsString(), d.SerializeAsString())
        << "at " << key.first << ":\n"
        << it->second.DebugString() << "instead of\n"
        << d.DebugString();
  }
}

TEST_F(TrialCurvesDecisionsTest, RoundsDecideAsThePolicyOnWholeCurvesBeforeAndAfterAReload) {
  // The ended trials that ran past the last milestone's window hold less than their curves.
  for (size_t i = 1; i < std::size(kPlans); ++i) {
    if (kPlans[i].state == v1::TRIAL_STATE_RUNNING || kPlans[i].until < 0.5) continue;
    const std::string id = "s1/t00" + std::to_string(i);
    auto stored = store_.ReadPoints(id, 0);
    ASSERT_TRUE(stored.ok());
    size_t held = 0;
    curves_.Visit("s1", "", [&](std::span<const CurveEntry> entries) {
      for (const CurveEntry& e : entries) {
        if (e.trial_id == id) held = e.points.size();
      }
    });
    EXPECT_LT(held, stored->size() / 3) << id;
  }
  const auto want = FromWholeCurves();
  // Four running trials at each of the two milestones, predicted, and at least one stopped.
  ASSERT_EQ(want.size(), 8u);
  int predicted = 0, stopped = 0;
  for (const auto& [key, d] : want) {
    predicted += d.has_prediction() && d.prediction().has_final_loss_interval();
    stopped += d.action() == v1::DECISION_ACTION_STOP;
  }
  EXPECT_EQ(predicted, 8);
  EXPECT_GE(stopped, 1);

  ExpectSameDecisions(Planned(curves_), want);
  TrialCurves reloaded(&store_, &clock_, [](CurveEvent) {});
  reloaded.EnsureLoaded("s1");
  EXPECT_EQ(reloaded.held_points(), curves_.held_points());
  ExpectSameDecisions(Planned(reloaded), want);
}

}  // namespace
}  // namespace augur
