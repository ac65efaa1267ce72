// The Scheduler's early stopping: milestones seen in committed points, decision rounds, their
// transaction ahead of the write queue, stop orders, kept summaries, and decisions that survive
// a failed write or a restart.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/scheduler_test_util.h"

namespace augur {
namespace {

using testing::kSteps;
using testing::MakeTrial;
using testing::SchedulerTest;

TEST_F(SchedulerTest, MilestoneDecisionStopsTheLoserAndIsStoredWithItsReason) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 2);
  auto s = Connect("w1", 2);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  const v1::Lease b = Expect(*s, v1::SchedulerMessage::kLease).lease();
  SendPoints(s, a, 1, 25, 4.0);  // Better.
  SendPoints(s, b, 1, 25, 4.5);  // Worse: top-1 stops it at 20%.
  const v1::TrialOrder order = Expect(*s, v1::SchedulerMessage::kOrder).order();
  EXPECT_EQ(order.trial_id(), b.trial_id());
  EXPECT_EQ(order.fencing_token(), b.fencing_token());
  EXPECT_EQ(order.action(), v1::TrialOrder::ACTION_STOP);
  EXPECT_EQ(store_.GetTrial(b.trial_id())->state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_RUNNING);
  auto decisions = store_.ListDecisions("s1");
  ASSERT_TRUE(decisions.ok());
  bool found = false;
  for (const v1::Decision& d : *decisions) {
    if (d.trial_id() != b.trial_id()) continue;
    found = true;
    EXPECT_EQ(d.action(), v1::DECISION_ACTION_STOP);
    EXPECT_DOUBLE_EQ(d.milestone_fraction(), 0.2);
    EXPECT_FALSE(d.reason().empty());
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(observer_.stop_orders(), 1);
  // Points the worker sent before obeying are still taken under its token; under another
  // token they are fenced off.
  SendPoints(s, b, 26, 30, 4.5, /*seq=*/2);
  v1::PointsAck ack;
  do {  // Skips the acknowledgements of the first batches.
    ack = Expect(*s, v1::SchedulerMessage::kPointsAck).points_ack();
  } while (ack.sequence() != 2 && !ack.trial_id().empty());
  EXPECT_EQ(ack.trial_id(), b.trial_id());
  EXPECT_EQ(ack.durable_step(), 30);
  v1::Lease stale = b;
  stale.set_fencing_token(b.fencing_token() + 7);
  SendPoints(s, stale, 31, 32, 4.5);
  EXPECT_EQ(Expect(*s, v1::SchedulerMessage::kRejection).rejection().trial_id(), b.trial_id());
}

// A decision round does not wait for the write queue: the points it saw are still queued
// when the STOP (decision, stop and order) and the round's CONTINUE decisions are stored, in
// the decider's own transaction; the writer makes the points durable afterwards.
TEST_F(SchedulerTest, AStopDoesNotWaitForTheWriteQueue) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 2);
  auto s = Connect("w1", 2);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  const v1::Lease b = Expect(*s, v1::SchedulerMessage::kLease).lease();
  // Nothing the workers send gets committed by the writer while the stop is decided.
  store_.HoldWriterCommits(true);
  SendPoints(s, a, 1, 25, 4.0);
  SendPoints(s, b, 1, 25, 4.5);
  const v1::TrialOrder order = AwaitMessage(*s, v1::SchedulerMessage::kOrder).order();
  EXPECT_EQ(order.trial_id(), b.trial_id());
  EXPECT_EQ(order.action(), v1::TrialOrder::ACTION_STOP);
  for (const v1::SchedulerMessage& m : aside_) {
    EXPECT_FALSE(m.has_points_ack()) << "a point was acknowledged while commits were held";
  }
  EXPECT_EQ(store_.GetTrial(b.trial_id())->state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_TRUE(store_.ReadPoints(b.trial_id(), 0)->empty());  // Still in the write queue.
  EXPECT_TRUE(store_.ReadPoints(a.trial_id(), 0)->empty());
  // a's CONTINUE was stored by the decider too (in b's round, or in an earlier one of its own).
  auto decisions = store_.ListDecisions("s1");
  ASSERT_TRUE(decisions.ok());
  EXPECT_EQ(decisions->size(), 2u);
  // Released, the writer commits both trials' points and acknowledges them: the stopped
  // trial's points the decision saw become durable too.
  store_.HoldWriterCommits(false);
  std::set<std::string> acked;
  for (int i = 0; i < 2; ++i) {
    acked.insert(Expect(*s, v1::SchedulerMessage::kPointsAck).points_ack().trial_id());
  }
  EXPECT_EQ(acked, (std::set<std::string>{a.trial_id(), b.trial_id()}));
  auto points = store_.ReadPoints(b.trial_id(), 0);
  ASSERT_EQ(points->size(), 25u);
  EXPECT_DOUBLE_EQ(points->back().train_loss(), 4.5 - 0.001 * 25);
  EXPECT_EQ(store_.ReadPoints(a.trial_id(), 0)->size(), 25u);
  EXPECT_EQ(store_.GetTrial(b.trial_id())->state(), v1::TRIAL_STATE_STOPPED);
  const auto kept = StoredDecision(a.trial_id(), 0.2);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->action(), v1::DECISION_ACTION_CONTINUE);
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_RUNNING);
}

// The decider stores CONTINUE decisions itself, within 250 ms on the clock; a transaction that
// fails is tried again after 100 ms, and nothing of it took effect meanwhile.
TEST_F(SchedulerTest, ContinueDecisionsWhoseWriteFailedAreDecidedAgain) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 1);
  store_.FailDecisionWrites(1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  SendPoints(s, a, 1, 25, 4.0);
  auto stored = [&] {
    scheduler_->WaitUntilIdle();
    return store_.ListDecisions("s1")->size();
  };
  EXPECT_EQ(stored(), 0u);  // Decided, and waiting to be stored with others.
  EXPECT_EQ(store_.failed(), 0);
  clock_.Advance(absl::Milliseconds(250));
  EXPECT_EQ(stored(), 0u);
  EXPECT_EQ(store_.failed(), 1);
  clock_.Advance(absl::Milliseconds(99));
  EXPECT_EQ(stored(), 0u);  // Not due yet.
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(stored(), 1u);
  const auto kept = StoredDecision(a.trial_id(), 0.2);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->action(), v1::DECISION_ACTION_CONTINUE);
  EXPECT_EQ(store_.failed(), 1);
  auto decisions = store_.ListDecisions("s1");
  ASSERT_TRUE(decisions.ok());
  EXPECT_EQ(decisions->size(), 1u);
}

// A decision round summarizes only the trials that are new at the milestone (or whose points
// there changed); the others' summaries are kept from earlier rounds.
TEST_F(SchedulerTest, EachTrialIsSummarizedOncePerMilestone) {
  constexpr int kTrials = 12;
  CreateSweep(v1::POLICY_KIND_MEDIAN, {0.5}, kTrials);
  auto s = Connect("w1", kTrials);
  std::vector<v1::Lease> leases;
  for (int i = 0; i < kTrials; ++i)
    leases.push_back(Expect(*s, v1::SchedulerMessage::kLease).lease());
  int stops = 0;
  for (int i = 0; i < kTrials; ++i) {
    // Every other trial ends inside the milestone's window (step 50 of 100), the others past it
    // (in two batches: a batch holds at most 50 points here).
    const double loss = 4.0 + 0.05 * ((i * 7) % kTrials);
    if (i % 2 == 0) {
      SendPoints(s, leases[i], 1, 50, loss);
    } else {
      SendPoints(s, leases[i], 1, 30, loss);
      SendPoints(s, leases[i], 31, 60, loss, /*seq=*/2);
    }
    const auto d = StoredDecision(leases[i].trial_id(), 0.5);
    ASSERT_TRUE(d.has_value()) << i;
    stops += d->action() == v1::DECISION_ACTION_STOP;
  }
  EXPECT_GT(stops, 0);  // The comparison happened: some trials were worse than the median.
  // One round per trial, each round comparing every trial so far: without kept summaries the
  // per-trial stage would run 1 + 2 + ... + 12 = 78 times.
  EXPECT_EQ(observer_.summarized(), kTrials);
}

TEST_F(SchedulerTest, AMilestonePassedWithoutAStoredDecisionIsDecidedAfterARestart) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  // The trial passed 20% and its points are durable, but the scheduler died before its
  // decision was stored.
  PointWrite w;
  w.trial_id = a.trial_id();
  w.fencing_token = a.fencing_token();
  for (int step = 1; step <= 25; ++step) {
    v1::LossPoint p;
    p.set_step(step);
    p.set_fraction(static_cast<double>(step) / kSteps);
    p.set_train_loss(4.0 - 0.001 * step);
    w.points.push_back(p);
  }
  ASSERT_TRUE(store_.AppendPoints(w).ok());
  Restart();
  // The worker reconnects, still holding the lease, and goes on from step 26: no batch crosses
  // 20% again.
  auto again = Connect("w1", 1, {a});
  ASSERT_EQ(accepted_.valid_leases_size(), 1);
  SendPoints(again, a, 26, 30, 4.0);
  const auto d = StoredDecision(a.trial_id(), 0.2);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->action(), v1::DECISION_ACTION_CONTINUE);
}

TEST_F(SchedulerTest, TrialsWaitingForTheirReferenceAreDecidedWhenItCompletes) {
  std::shared_ptr<WorkerSession> s;
  const auto leases = LeaseReferenceSweep(/*asynchronous=*/true, &s);  // scheduler_sync_test too.
  const v1::Lease& ref = leases.at("s1/t000");
  SendPoints(s, leases.at("s1/t001"), 1, 25, 4.0);
  SendPoints(s, leases.at("s1/t002"), 1, 25, 4.2);
  // Past 20%, but without a complete reference nobody is decided.
  scheduler_->WaitUntilIdle();
  EXPECT_TRUE(store_.ListDecisions("s1")->empty());
  SendPoints(s, ref, 1, 50, 4.0);
  SendPoints(s, ref, 51, 100, 4.0, /*seq=*/2);
  v1::WorkerMessage end;
  end.mutable_ended()->set_trial_id(ref.trial_id());
  end.mutable_ended()->set_fencing_token(ref.fencing_token());
  end.mutable_ended()->set_state(v1::TRIAL_STATE_COMPLETED);
  scheduler_->HandleWorkerMessage(s, end);
  // No trial crosses 20% again: the reference's completion queues the rounds.
  for (const char* id : {"s1/t001", "s1/t002"}) {
    const auto d = StoredDecision(id, 0.2);
    ASSERT_TRUE(d.has_value()) << id;
    EXPECT_EQ(d->policy(), v1::POLICY_KIND_COLLAPSE);
  }
}

TEST_F(SchedulerTest, AStoredStopDecisionIsExecutedAfterARestart) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  // The decision was stored, then the scheduler died before executing it.
  v1::Decision d;
  d.set_trial_id(a.trial_id());
  d.set_action(v1::DECISION_ACTION_STOP);
  d.set_milestone_fraction(0.2);
  d.set_reason("rank 2 of 2");
  ASSERT_TRUE(store_.RecordDecision(d).ok());
  scheduler_.reset();
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_RUNNING);
  Restart();
  const v1::Trial t = *store_.GetTrial(a.trial_id());
  EXPECT_EQ(t.state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_EQ(t.message(), "rank 2 of 2");
}

}  // namespace
}  // namespace augur
