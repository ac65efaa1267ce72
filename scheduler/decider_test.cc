// The Decider (with its RoundPlanner) at its boundary: milestone events from the curves in,
// one transaction of decisions and stops to the store, stop orders to the sessions and the
// stopped rows out; retries on the clock after a failed transaction; rechecks after a restart.
#include "scheduler/decider.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "gtest/gtest.h"
#include "scheduler/fault_injecting_store.h"
#include "scheduler/memory_store.h"
#include "scheduler/scheduler_test_util.h"

namespace augur {
namespace {

using testing::CountingObserver;
using testing::kSteps;
using testing::MakeTrial;

class DeciderTest : public ::testing::Test {
 protected:
  DeciderTest()
      : memory_(clock_),
        store_(&memory_),
        activity_(&clock_),
        priority_(&clock_, absl::Milliseconds(30)),
        random_(1),
        sessions_(&random_),
        curves_(&store_, &clock_, [this](CurveEvent e) { decider_->Queue(std::move(e)); }) {
    decider_ =
        std::make_unique<Decider>(&store_, &clock_, &curves_, &sessions_, &priority_, &activity_,
                                  &observer_, [this](std::vector<v1::Trial> stopped) {
                                    for (const v1::Trial& t : stopped)
                                      stopped_.push_back(t.trial_id());
                                    curves_.Update(stopped);
                                  });
    v1::Sweep sweep;
    sweep.set_sweep_id("s1");
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    sweep.mutable_spec()->mutable_policy()->set_kind(v1::POLICY_KIND_TOP_K);
    sweep.mutable_spec()->mutable_policy()->add_milestone_fractions(0.2);
    sweep.mutable_spec()->mutable_policy()->set_keep_top(1);
    sweep.mutable_spec()->mutable_policy()->set_asynchronous(true);  // Decided on arrival.
    EXPECT_TRUE(memory_.CreateSweep(sweep, {MakeTrial("s1", 0), MakeTrial("s1", 1)}).ok());
    auto grants = memory_.AcquireLeases("w1", absl::Seconds(30), 2, 2);
    EXPECT_TRUE(grants.ok() && grants->size() == 2u);
    for (const LeaseGrant& g : *grants) token_[g.trial.trial_id()] = g.lease.fencing_token();
    v1::SchedulerMessage accepted;
    accepted.mutable_accepted();
    session_ = *sessions_.Open("w1", 2, accepted);
    v1::SchedulerMessage m;
    session_->TryNext(&m);
  }

  // Loads the sweep into the curves as a running scheduler would at grant time.
  void Load() {
    curves_.EnsureLoaded("s1");
    for (const auto& [id, token] : token_) curves_.Granted(*memory_.GetTrial(id), token);
  }

  v1::LossPointBatch Batch(const std::string& trial, int from, int to, double base_loss) {
    v1::LossPointBatch b;
    b.set_trial_id(trial);
    b.set_fencing_token(token_[trial]);
    for (int step = from; step <= to; ++step) {
      v1::LossPoint* p = b.add_points();
      p->set_step(step);
      p->set_fraction(static_cast<double>(step) / kSteps);
      p->set_train_loss(base_loss - 0.001 * step);
    }
    return b;
  }

  std::vector<v1::TrialOrder> Orders() {
    std::vector<v1::TrialOrder> out;
    v1::SchedulerMessage m;
    while (session_->TryNext(&m)) {
      if (m.has_order()) out.push_back(m.order());
    }
    return out;
  }

  std::map<std::string, v1::DecisionAction> Decisions() {
    std::map<std::string, v1::DecisionAction> out;
    auto decisions = memory_.ListDecisions("s1");
    EXPECT_TRUE(decisions.ok()) << decisions.status();
    if (!decisions.ok()) return out;
    for (const v1::Decision& d : *decisions) out[d.trial_id()] = d.action();
    return out;
  }

  FakeClock clock_;
  MemoryStore memory_;
  FaultInjectingStore store_;
  Activity activity_;
  CommitPriority priority_;
  SeededRandom random_;
  SessionRegistry sessions_;
  CountingObserver observer_;
  TrialCurves curves_;
  std::unique_ptr<Decider> decider_;
  std::shared_ptr<WorkerSession> session_;
  std::map<std::string, int64_t> token_;
  std::vector<std::string> stopped_;
};

TEST_F(DeciderTest, AMilestoneRoundStoresItsDecisionsAndOrdersTheStop) {
  Load();
  decider_->Start();
  // Both trials reach 20% before the decider runs a round: one round decides them both.
  curves_.TakeArrived(Batch("s1/t000", 1, 25, 4.0), clock_.Now());
  curves_.TakeArrived(Batch("s1/t001", 1, 25, 4.5), clock_.Now());
  decider_->WaitIdle();
  EXPECT_EQ(Decisions(),
            (std::map<std::string, v1::DecisionAction>{{"s1/t000", v1::DECISION_ACTION_CONTINUE},
                                                       {"s1/t001", v1::DECISION_ACTION_STOP}}));
  EXPECT_EQ(memory_.GetTrial("s1/t001")->state(), v1::TRIAL_STATE_STOPPED);
  const auto orders = Orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].trial_id(), "s1/t001");
  EXPECT_EQ(orders[0].fencing_token(), token_["s1/t001"]);
  EXPECT_EQ(orders[0].action(), v1::TrialOrder::ACTION_STOP);
  EXPECT_EQ(stopped_, std::vector<std::string>{"s1/t001"});
  EXPECT_EQ(observer_.stop_orders(), 1);
  // Nothing more happens at the same milestone: every live trial there is decided.
  curves_.TakeArrived(Batch("s1/t000", 26, 30, 4.0), clock_.Now());
  decider_->WaitIdle();
  EXPECT_EQ(memory_.ListDecisions("s1")->size(), 2u);
}

// A CONTINUE decision made alone waits, and is stored in the transaction of the next stop.
TEST_F(DeciderTest, AWaitingContinueGoesWithTheNextStop) {
  Load();
  decider_->Start();
  decider_->WaitIdle();
  curves_.TakeArrived(Batch("s1/t000", 1, 25, 4.0), clock_.Now());
  decider_->WaitIdle();
  EXPECT_TRUE(Decisions().empty());  // Kept at 20% (top-1 of one), not stored yet.
  const int calls = store_.calls();
  curves_.TakeArrived(Batch("s1/t001", 1, 25, 4.5), clock_.Now());
  decider_->WaitIdle();
  EXPECT_EQ(Decisions(),
            (std::map<std::string, v1::DecisionAction>{{"s1/t000", v1::DECISION_ACTION_CONTINUE},
                                                       {"s1/t001", v1::DECISION_ACTION_STOP}}));
  EXPECT_EQ(store_.failed_operations().size(), 0u);
  EXPECT_EQ(Orders().size(), 1u);
  // One transaction for both (the round reads nothing from the store).
  EXPECT_EQ(store_.calls() - calls, 1);
}

// CONTINUE decisions alone are stored together, at most 250 ms after they are made, and a
// failed transaction is tried again 100 ms later.
TEST_F(DeciderTest, AFailedTransactionIsTriedAgainAfterTheDelayOnTheClock) {
  Load();
  decider_->Start();
  decider_->WaitIdle();  // The load's recheck found nothing due.
  store_.FailOperation("ApplyBatch", absl::UnavailableError("injected"));
  curves_.TakeArrived(Batch("s1/t000", 1, 25, 4.0), clock_.Now());
  decider_->WaitIdle();
  EXPECT_TRUE(Decisions().empty());  // A CONTINUE alone waits up to 250 ms to be stored...
  clock_.Advance(absl::Milliseconds(250));
  decider_->WaitIdle();
  EXPECT_TRUE(Decisions().empty());  // ...and that transaction failed.
  EXPECT_EQ(store_.failed_operations(), std::vector<std::string>{"ApplyBatch"});
  clock_.Advance(absl::Milliseconds(99));
  decider_->WaitIdle();
  EXPECT_TRUE(Decisions().empty());  // Not due yet.
  clock_.Advance(absl::Milliseconds(1));
  decider_->WaitIdle();
  EXPECT_EQ(Decisions(),
            (std::map<std::string, v1::DecisionAction>{{"s1/t000", v1::DECISION_ACTION_CONTINUE}}));
}

TEST_F(DeciderTest, ALoadAfterARestartDecidesMilestonesPassedWithoutADecision) {
  // Both trials passed 20% while no scheduler decided (their points are in the store), and
  // t000 already has its decision there: the recheck that a load raises decides only t001.
  for (const char* id : {"s1/t000", "s1/t001"}) {
    PointWrite w;
    w.trial_id = id;
    w.fencing_token = token_[id];
    const v1::LossPointBatch b = Batch(id, 1, 25, id == std::string("s1/t000") ? 4.0 : 4.5);
    w.points.assign(b.points().begin(), b.points().end());
    ASSERT_TRUE(memory_.AppendPoints(w).ok());
  }
  v1::Decision earlier;
  earlier.set_trial_id("s1/t000");
  earlier.set_action(v1::DECISION_ACTION_CONTINUE);
  earlier.set_milestone_fraction(0.2);
  ASSERT_TRUE(memory_.RecordDecision(earlier).ok());
  decider_->Start();
  Load();
  decider_->WaitIdle();
  EXPECT_EQ(Decisions(),
            (std::map<std::string, v1::DecisionAction>{{"s1/t000", v1::DECISION_ACTION_CONTINUE},
                                                       {"s1/t001", v1::DECISION_ACTION_STOP}}));
  EXPECT_EQ(Orders().size(), 1u);
}

TEST_F(DeciderTest, ASweepThatLeftMemoryIsNotDecided) {
  Load();
  ASSERT_TRUE(memory_.CancelSweep("s1", "cancelled by user").ok());
  curves_.ForgetEnded();
  decider_->Start();
  decider_->Queue({CurveEvent::Kind::kMilestone, "s1", "any", 0.2, clock_.Now()});
  decider_->WaitIdle();
  EXPECT_TRUE(Decisions().empty());
  EXPECT_TRUE(Orders().empty());
}

}  // namespace
}  // namespace augur
