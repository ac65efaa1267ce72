// Store contract, part 4: state transitions inside a WriteBatch, so that a decision round
// (decisions and the STOP transitions they cause) is one transaction. Runs against every
// backend (store_typed_test.h).
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/store_typed_test.h"

namespace augur::testing_util {
namespace {

using ::testing::HasSubstr;

template <typename F>
class StoreTransitionBatchTest : public StoreTest<F> {};
TYPED_TEST_SUITE(StoreTransitionBatchTest, StoreBackends);

v1::Decision Stop(const std::string& trial_id, double milestone) {
  v1::Decision d;
  d.set_trial_id(trial_id);
  d.set_action(v1::DECISION_ACTION_STOP);
  d.set_milestone_fraction(milestone);
  d.set_reason("worse than the reference");
  return d;
}

TYPED_TEST(StoreTransitionBatchTest, AStoppedTrialKeepsPointsInFlightUnderItsLastToken) {
  this->CreateSweep("s1", 2);
  LeaseGrant a = this->Lease("w1");
  ASSERT_TRUE(this->store().AppendPoints(this->Write(a, Points(1, 3))).ok());
  WriteBatch batch;
  batch.decisions.push_back(Stop(a.lease.trial_id(), 0.3));
  batch.transitions.push_back({a.lease.trial_id(), v1::TRIAL_STATE_STOPPED, "policy"});
  ASSERT_TRUE(this->store().ApplyBatch(batch).ok());
  // Sent before the stop order reached the worker: kept, the trial stays STOPPED.
  auto late = this->store().AppendPoints(this->Write(a, Points(4, 6)));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->inserted, 3);
  EXPECT_EQ(late->durable_step, 6);
  EXPECT_EQ(this->store().ReadPoints(a.lease.trial_id(), 0)->size(), 6u);
  // A non-finite loss among them does not make a stopped trial DIVERGED.
  PointWrite nan = this->Write(a, Points(7, 8));
  nan.points[1].set_train_loss(std::numeric_limits<double>::quiet_NaN());
  auto after_nan = this->store().AppendPoints(nan);
  ASSERT_TRUE(after_nan.ok()) << after_nan.status();
  EXPECT_EQ(after_nan->inserted, 1);
  EXPECT_EQ(this->store().GetTrial(a.lease.trial_id())->state(), v1::TRIAL_STATE_STOPPED);
  // Any other token is refused, and so are checkpoints.
  PointWrite stale = this->Write(a, Points(9, 9));
  stale.fencing_token = a.lease.fencing_token() - 1;
  EXPECT_EQ(this->store().AppendPoints(stale).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::CheckpointCommit ck;
  ck.set_trial_id(a.lease.trial_id());
  ck.set_fencing_token(a.lease.fencing_token());
  ck.set_step(6);
  ck.set_path(CheckpointPathFor(a.lease.trial_id(), 6));
  EXPECT_EQ(this->store().CommitCheckpoint(ck).code(), absl::StatusCode::kFailedPrecondition);
}

// A worker's lease end rides in the writer's batch: the points before it in the same batch are
// stored first, and it follows EndLease's rules item by item.
TYPED_TEST(StoreTransitionBatchTest, LeaseEndsApplyAfterThePointsOfTheirBatch) {
  this->CreateSweep("s1", 4);
  LeaseGrant a = this->Lease("w1");
  LeaseGrant b = this->Lease("w1");
  LeaseGrant c = this->Lease("w2");
  WriteBatch batch;
  batch.points.push_back(this->Write(a, Points(1, 5)));
  batch.lease_ends.push_back(
      {a.lease.trial_id(), a.lease.fencing_token(), v1::TRIAL_STATE_COMPLETED, "done"});
  batch.lease_ends.push_back(  // Stale token: refused, the trial keeps running.
      {b.lease.trial_id(), b.lease.fencing_token() + 1, v1::TRIAL_STATE_COMPLETED, ""});
  batch.lease_ends.push_back(  // A lease cannot end CANCELLED.
      {c.lease.trial_id(), c.lease.fencing_token(), v1::TRIAL_STATE_CANCELLED, ""});
  batch.lease_ends.push_back({"s1/nope", 1, v1::TRIAL_STATE_COMPLETED, ""});
  auto r = this->store().ApplyBatch(batch);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->lease_ends.size(), 4u);
  EXPECT_TRUE(r->points[0].status.ok());
  ASSERT_TRUE(r->lease_ends[0].status.ok()) << r->lease_ends[0].status;
  EXPECT_EQ(r->lease_ends[0].trial.state(), v1::TRIAL_STATE_COMPLETED);
  EXPECT_EQ(r->lease_ends[0].trial.last_point().step(), 5);  // Its points came first.
  EXPECT_EQ(r->lease_ends[1].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r->lease_ends[1].status.message(), HasSubstr("stale fencing token"));
  EXPECT_EQ(r->lease_ends[2].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r->lease_ends[3].status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().GetTrial(a.lease.trial_id())->state(), v1::TRIAL_STATE_COMPLETED);
  EXPECT_EQ(this->store().ReadPoints(a.lease.trial_id(), 0)->size(), 5u);
  EXPECT_EQ(this->store().GetTrial(b.lease.trial_id())->state(), v1::TRIAL_STATE_RUNNING);
  EXPECT_EQ(this->store().GetTrial(c.lease.trial_id())->state(), v1::TRIAL_STATE_RUNNING);
  // Ended: its token writes nothing more.
  EXPECT_EQ(this->store().AppendPoints(this->Write(a, Points(6, 6))).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TYPED_TEST(StoreTransitionBatchTest, ACancelledTrialRefusesEvenItsLastLeasesPoints) {
  this->CreateSweep("s1", 2);
  LeaseGrant a = this->Lease("w1");
  ASSERT_TRUE(this->store()
                  .TransitionTrial(a.lease.trial_id(), v1::TRIAL_STATE_RUNNING,
                                   v1::TRIAL_STATE_CANCELLED, "by user")
                  .ok());
  EXPECT_EQ(this->store().AppendPoints(this->Write(a, Points(1, 1))).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TYPED_TEST(StoreTransitionBatchTest, DecisionAndStopOfARunningTrialInOneBatch) {
  this->CreateSweep("s1", 3);
  LeaseGrant a = this->Lease("w1");
  LeaseGrant b = this->Lease("w2");
  WriteBatch batch;
  batch.points.push_back(this->Write(b, Points(1, 4)));
  batch.decisions.push_back(Stop(a.lease.trial_id(), 0.3));
  batch.transitions.push_back({a.lease.trial_id(), v1::TRIAL_STATE_STOPPED, "stopped at 0.3"});
  auto result = this->store().ApplyBatch(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->transitions.size(), 1u);
  const TransitionResult& stop = result->transitions[0];
  ASSERT_TRUE(stop.status.ok()) << stop.status;
  EXPECT_EQ(stop.from, v1::TRIAL_STATE_RUNNING);
  EXPECT_EQ(stop.worker_id, "w1");
  EXPECT_EQ(stop.fencing_token, a.lease.fencing_token());
  EXPECT_EQ(stop.trial.state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_EQ(stop.trial.message(), "stopped at 0.3");
  EXPECT_TRUE(stop.trial.worker_id().empty());
  // Decisions apply before transitions: the stopped trial carries its decision.
  EXPECT_EQ(stop.trial.last_decision().action(), v1::DECISION_ACTION_STOP);
  EXPECT_TRUE(result->decisions[0].ok());
  EXPECT_TRUE(result->points[0].status.ok());

  // The lease is gone; only points in flight under its token are still taken (store.h).
  auto lease = this->store().GetLease(a.lease.trial_id());
  EXPECT_EQ(lease->worker_id, "");
  EXPECT_EQ(lease->expires_unix_ms, 0);
  EXPECT_EQ(this->store().GetTrial(a.lease.trial_id())->state(), v1::TRIAL_STATE_STOPPED);
  auto events = this->store().ReadEvents(0, 0);
  ASSERT_TRUE(events.ok());
  bool logged = false;
  for (const StoreEvent& e : *events) {
    logged |= e.kind == "trial_state" && e.trial_id == a.lease.trial_id() &&
              e.detail == "TRIAL_STATE_RUNNING -> TRIAL_STATE_STOPPED: stopped at 0.3";
  }
  EXPECT_TRUE(logged);
  EXPECT_EQ(this->store().GetSweep("s1")->state(), v1::Sweep::STATE_RUNNING);
}

TYPED_TEST(StoreTransitionBatchTest, EachTransitionFailsOnItsOwn) {
  this->CreateSweep("s1", 3);
  ASSERT_TRUE(
      this->store()
          .TransitionTrial("s1/t002", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_CANCELLED, "")
          .ok());
  WriteBatch batch;
  batch.decisions.push_back(Stop("s1/t001", 0.2));
  batch.transitions.push_back({"s1/t002", v1::TRIAL_STATE_STOPPED, ""});  // Terminal.
  batch.transitions.push_back({"s1/t000", v1::TRIAL_STATE_PAUSED, "hold"});
  batch.transitions.push_back({"s1/t000", v1::TRIAL_STATE_COMPLETED, ""});  // PAUSED -> no.
  batch.transitions.push_back({"s1/t999", v1::TRIAL_STATE_STOPPED, ""});
  batch.transitions.push_back({"s1/t001", v1::TRIAL_STATE_RUNNING, ""});
  batch.transitions.push_back({"s1/t001", v1::TRIAL_STATE_STOPPED, "stop"});
  auto result = this->store().ApplyBatch(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->transitions.size(), 6u);
  const auto& t = result->transitions;
  EXPECT_EQ(t[0].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(t[0].status.message(), HasSubstr("terminal"));
  EXPECT_EQ(t[0].from, v1::TRIAL_STATE_CANCELLED);
  EXPECT_TRUE(t[1].status.ok()) << t[1].status;
  EXPECT_EQ(t[1].from, v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(t[1].worker_id, "");
  EXPECT_EQ(t[1].fencing_token, 0);
  EXPECT_EQ(t[2].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(t[2].from, v1::TRIAL_STATE_PAUSED) << "a later item sees an earlier one";
  EXPECT_EQ(t[3].status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t[4].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(t[5].status.ok()) << t[5].status;
  EXPECT_TRUE(result->decisions[0].ok());
  EXPECT_EQ(this->store().GetTrial("s1/t000")->state(), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(this->store().GetTrial("s1/t001")->state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_EQ(this->store().GetTrial("s1/t002")->state(), v1::TRIAL_STATE_CANCELLED);
  EXPECT_EQ(this->store().ListDecisions("s1")->size(), 1u);
  EXPECT_EQ(this->store().GetSweep("s1")->state(), v1::Sweep::STATE_RUNNING) << "t000 is paused";
}

TYPED_TEST(StoreTransitionBatchTest, LastLiveTrialEndsTheSweep) {
  this->CreateSweep("s1", 2);
  LeaseGrant a = this->Lease("w1");
  ASSERT_TRUE(
      this->store()
          .EndLease(a.lease.trial_id(), a.lease.fencing_token(), v1::TRIAL_STATE_COMPLETED, "")
          .ok());
  LeaseGrant b = this->Lease("w1");
  WriteBatch batch;
  batch.decisions.push_back(Stop(b.lease.trial_id(), 0.5));
  batch.transitions.push_back({b.lease.trial_id(), v1::TRIAL_STATE_STOPPED, "policy"});
  auto result = this->store().ApplyBatch(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->transitions[0].status.ok()) << result->transitions[0].status;
  auto sweep = this->store().GetSweep("s1");
  EXPECT_EQ(sweep->state(), v1::Sweep::STATE_DONE);
  EXPECT_EQ(sweep->trial_counts().at("TRIAL_STATE_STOPPED"), 1);
  auto events = this->store().ReadEvents(0, 0);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->back().kind, "sweep_done");
}

}  // namespace
}  // namespace augur::testing_util
