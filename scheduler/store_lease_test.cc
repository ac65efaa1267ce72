// Store contract, part 2: leases, fencing, expiry, loss points, divergence, checkpoints and
// batched writes. Runs against every backend (store_typed_test.h); time moves by FakeClock.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/store_typed_test.h"

namespace augur::testing_util {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename F>
class StoreLeaseTest : public StoreTest<F> {};
TYPED_TEST_SUITE(StoreLeaseTest, StoreBackends);

std::vector<int64_t> Steps(const std::vector<v1::LossPoint>& points) {
  std::vector<int64_t> steps;
  for (const auto& p : points) steps.push_back(p.step());
  return steps;
}

v1::CheckpointCommit Checkpoint(const LeaseGrant& g, int64_t step) {
  v1::CheckpointCommit c;
  c.set_trial_id(g.lease.trial_id());
  c.set_fencing_token(g.lease.fencing_token());
  c.set_step(step);
  c.set_path(CheckpointPathFor(g.lease.trial_id(), step));
  c.set_size_bytes(1000);
  c.set_sha256("ab");
  return c;
}

TYPED_TEST(StoreLeaseTest, LeasesReferencesFirstThenOlderSweepsInPlanOrder) {
  this->CreateSweep("a", 2);
  this->clock_.Advance(absl::Seconds(1));
  this->CreateSweep("b", 2, /*references=*/1);
  this->CreateSweep("c", 1);
  ASSERT_TRUE(this->store().CancelSweep("c", "").ok());  // Cancelled sweeps lease nothing.
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    LeaseGrant g = this->Lease("w" + std::to_string(i));
    order.push_back(g.lease.trial_id());
    EXPECT_EQ(g.lease.fencing_token(), 1);
    EXPECT_EQ(g.lease.expires_unix_ms(), this->clock_.NowUnixMs() + 30'000);
    EXPECT_EQ(g.trial.state(), v1::TRIAL_STATE_RUNNING);
    EXPECT_EQ(g.trial.worker_id(), "w" + std::to_string(i));
    EXPECT_EQ(g.trial.attempts(), 1);
    EXPECT_EQ(g.lease.config().total_steps(), 100);
    EXPECT_FALSE(g.lease.has_resume_from());
  }
  EXPECT_THAT(order, ElementsAre("b/t000", "a/t000", "a/t001", "b/t001"));
  auto none = this->store().AcquireLease("w9", absl::Seconds(30));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(this->store().AcquireLease("", absl::Seconds(30)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StoreLeaseTest, ExpiryRequeuesWithNewTokenAndKeepsCheckpoint) {
  this->CreateSweep("s1", 1);
  LeaseGrant first = this->Lease("w1");
  ASSERT_TRUE(this->store().AppendPoints(this->Write(first, Points(1, 10))).ok());
  ASSERT_TRUE(this->store().CommitCheckpoint(Checkpoint(first, 8)).ok());

  this->clock_.Advance(absl::Seconds(29));
  auto early = this->store().ExpireLeases();
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());
  this->clock_.Advance(absl::Seconds(1));
  auto expired = this->store().ExpireLeases();
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].trial_id, "s1/t000");
  EXPECT_EQ((*expired)[0].worker_id, "w1");
  EXPECT_EQ((*expired)[0].fencing_token, 1);
  auto trial = this->store().GetTrial("s1/t000");
  EXPECT_EQ(trial->state(), v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(trial->checkpoint_step(), 8);
  EXPECT_THAT(trial->message(), HasSubstr("expired"));

  LeaseGrant second = this->Lease("w2");
  EXPECT_EQ(second.lease.fencing_token(), 2);
  EXPECT_EQ(second.trial.attempts(), 2);
  EXPECT_EQ(second.lease.resume_from().step(), 8);
  EXPECT_EQ(second.lease.resume_from().path(), CheckpointPathFor("s1/t000", 8));

  // The old holder is fenced off, for points, checkpoints and ending the lease.
  auto stale = this->store().AppendPoints(this->Write(first, Points(11, 12)));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stale.status().message(), HasSubstr("stale fencing token 1"));
  EXPECT_EQ(this->store().CommitCheckpoint(Checkpoint(first, 12)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store().EndLease("s1/t000", 1, v1::TRIAL_STATE_COMPLETED, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Steps(*this->store().ReadPoints("s1/t000", 0)).size(), 10u);
  // The new holder writes.
  auto ok = this->store().AppendPoints(this->Write(second, Points(9, 12)));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->durable_step, 12);
}

TYPED_TEST(StoreLeaseTest, RenewExtendsOnlyThatWorkersLiveLeases) {
  this->CreateSweep("s1", 2);
  LeaseGrant a = this->Lease("w1");
  LeaseGrant b = this->Lease("w2");
  this->clock_.Advance(absl::Seconds(20));
  auto renewed = this->store().RenewLeases("w1", absl::Seconds(30));
  ASSERT_TRUE(renewed.ok());
  ASSERT_EQ(renewed->size(), 1u);
  EXPECT_EQ((*renewed)[0].trial_id, a.lease.trial_id());
  EXPECT_EQ((*renewed)[0].expires_unix_ms, this->clock_.NowUnixMs() + 30'000);
  this->clock_.Advance(absl::Seconds(20));
  auto expired = this->store().ExpireLeases();
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].trial_id, b.lease.trial_id());
  EXPECT_EQ(this->store().GetLease(a.lease.trial_id())->worker_id, "w1");

  // A lease past its expiry cannot write or be renewed, even before ExpireLeases runs.
  this->clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(this->store().AppendPoints(this->Write(a, Points(1, 1))).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto late = this->store().RenewLeases("w1", absl::Seconds(30));
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(late->empty());
}

TYPED_TEST(StoreLeaseTest, PointsAreIdempotentAndFirstValueWins) {
  this->CreateSweep("s1", 1);
  LeaseGrant g = this->Lease();
  auto first = this->store().AppendPoints(this->Write(g, Points(1, 10)));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->inserted, 10);
  EXPECT_EQ(first->durable_step, 10);

  std::vector<v1::LossPoint> resend = Points(5, 12);
  resend[0].set_train_loss(9.0);  // Step 5 conflicts.
  auto second = this->store().AppendPoints(this->Write(g, resend));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->inserted, 2);
  EXPECT_EQ(second->duplicates, 5);
  EXPECT_EQ(second->conflicts, 1);
  EXPECT_EQ(second->durable_step, 12);

  auto points = this->store().ReadPoints("s1/t000", 0);
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 12u);
  EXPECT_DOUBLE_EQ((*points)[4].train_loss(), 5.0 - 0.05) << "the first value wins";
  EXPECT_EQ((*points)[11].tokens(), 12 * 1024);
  auto tail = this->store().ReadPoints("s1/t000", 11);
  EXPECT_THAT(Steps(*tail), ElementsAre(11, 12));
  auto trial = this->store().GetTrial("s1/t000");
  EXPECT_EQ(trial->last_point().step(), 12);
  EXPECT_EQ(this->store().GetSweep("s1")->tokens_spent(), 12 * 1024);

  // Out-of-order points and a validation loss survive the round trip.
  std::vector<v1::LossPoint> unordered = {Point(14, 4.0), Point(13, 4.1)};
  unordered[0].set_val_loss(4.2);
  ASSERT_TRUE(this->store().AppendPoints(this->Write(g, unordered)).ok());
  auto last = this->store().ReadPoints("s1/t000", 13);
  ASSERT_EQ(last->size(), 2u);
  EXPECT_FALSE((*last)[0].has_val_loss());
  EXPECT_DOUBLE_EQ((*last)[1].val_loss(), 4.2);
  EXPECT_EQ((*last)[1].wall_time_unix_ms(), unordered[0].wall_time_unix_ms());
  EXPECT_DOUBLE_EQ((*last)[1].fraction(), 0.14);

  auto events = this->store().ReadEvents(0, 0);
  bool logged = false;
  for (const auto& e : *events) logged |= e.kind == "points_conflict";
  EXPECT_TRUE(logged);
}

TYPED_TEST(StoreLeaseTest, BadPointWritesChangeNothing) {
  this->CreateSweep("s1", 1);
  LeaseGrant g = this->Lease();
  auto unknown = this->store().AppendPoints(PointWrite{"s1/t999", 1, Points(1, 2)});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  std::vector<v1::LossPoint> bad = Points(1, 3);
  bad[2].set_step(0);
  EXPECT_EQ(this->store().AppendPoints(this->Write(g, bad)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(this->store().ReadPoints("s1/t000", 0)->empty());
  EXPECT_EQ(this->store().ReadPoints("s1/t999", 0).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreLeaseTest, NonFiniteLossDivergesTheTrialAtomically) {
  this->CreateSweep("s1", 2);
  LeaseGrant g = this->Lease();
  std::vector<v1::LossPoint> points = Points(1, 6);
  points[3].set_train_loss(std::numeric_limits<double>::quiet_NaN());  // Step 4.
  auto result = this->store().AppendPoints(this->Write(g, points));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->diverged);
  EXPECT_EQ(result->inserted, 3);
  EXPECT_EQ(result->durable_step, 3);
  auto trial = this->store().GetTrial("s1/t000");
  EXPECT_EQ(trial->state(), v1::TRIAL_STATE_DIVERGED);
  EXPECT_THAT(trial->message(), HasSubstr("step 4"));
  EXPECT_TRUE(trial->worker_id().empty());
  EXPECT_EQ(trial->last_point().step(), 3);
  EXPECT_THAT(Steps(*this->store().ReadPoints("s1/t000", 0)), ElementsAre(1, 2, 3));
  EXPECT_EQ(this->store().AppendPoints(this->Write(g, Points(7, 7))).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // An infinite validation loss diverges too.
  LeaseGrant h = this->Lease();
  std::vector<v1::LossPoint> val = Points(1, 2);
  val[1].set_val_loss(std::numeric_limits<double>::infinity());
  auto inf = this->store().AppendPoints(this->Write(h, val));
  ASSERT_TRUE(inf.ok());
  EXPECT_TRUE(inf->diverged);
  EXPECT_EQ(this->store().GetTrial(h.lease.trial_id())->state(), v1::TRIAL_STATE_DIVERGED);
  EXPECT_EQ(this->store().GetSweep("s1")->state(), v1::Sweep::STATE_DONE);
}

TYPED_TEST(StoreLeaseTest, CheckpointsRecordTheLargestStep) {
  this->CreateSweep("s1", 1);
  LeaseGrant g = this->Lease();
  EXPECT_FALSE(this->store().LatestCheckpoint("s1/t000")->has_value());
  ASSERT_TRUE(this->store().CommitCheckpoint(Checkpoint(g, 20)).ok());
  ASSERT_TRUE(this->store().CommitCheckpoint(Checkpoint(g, 40)).ok());
  ASSERT_TRUE(this->store().CommitCheckpoint(Checkpoint(g, 30)).ok());
  auto latest = this->store().LatestCheckpoint("s1/t000");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->step(), 40);
  EXPECT_EQ((*latest)->sha256(), "ab");
  EXPECT_EQ((*latest)->size_bytes(), 1000);
  EXPECT_EQ(this->store().GetTrial("s1/t000")->checkpoint_step(), 40);
  v1::CheckpointCommit no_path = Checkpoint(g, 50);
  no_path.clear_path();
  EXPECT_EQ(this->store().CommitCheckpoint(no_path).code(), absl::StatusCode::kInvalidArgument);
  v1::CheckpointCommit unknown = Checkpoint(g, 50);
  unknown.set_trial_id("zz");
  EXPECT_EQ(this->store().CommitCheckpoint(unknown).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().LatestCheckpoint("zz").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreLeaseTest, EndLeaseUnderToken) {
  this->CreateSweep("s1", 2);
  LeaseGrant g = this->Lease();
  EXPECT_EQ(
      this->store()
          .EndLease(g.lease.trial_id(), g.lease.fencing_token(), v1::TRIAL_STATE_CANCELLED, "")
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  auto paused = this->store().EndLease(g.lease.trial_id(), g.lease.fencing_token(),
                                       v1::TRIAL_STATE_PAUSED, "paused at 50");
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_EQ(paused->state(), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(
      this->store()
          .EndLease(g.lease.trial_id(), g.lease.fencing_token(), v1::TRIAL_STATE_COMPLETED, "")
          .status()
          .code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store().EndLease("nope", 1, v1::TRIAL_STATE_COMPLETED, "").status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreLeaseTest, BatchAppliesEachItemOnItsOwn) {
  this->CreateSweep("s1", 3);
  LeaseGrant a = this->Lease();
  LeaseGrant b = this->Lease();
  WriteBatch batch;
  batch.points.push_back(this->Write(a, Points(1, 5)));
  batch.points.push_back(PointWrite{b.lease.trial_id(), 99, Points(1, 5)});  // Stale token.
  batch.points.push_back(this->Write(b, Points(1, 3)));
  batch.points.push_back(PointWrite{"s1/t002", 0, Points(1, 1)});  // Never leased.
  batch.checkpoints.push_back(Checkpoint(a, 5));
  v1::Decision d;
  d.set_trial_id(b.lease.trial_id());
  d.set_action(v1::DECISION_ACTION_CONTINUE);
  d.set_milestone_fraction(0.1);
  batch.decisions.push_back(d);
  auto result = this->store().ApplyBatch(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->points.size(), 4u);
  EXPECT_TRUE(result->points[0].status.ok());
  EXPECT_EQ(result->points[0].durable_step, 5);
  EXPECT_EQ(result->points[1].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(result->points[2].status.ok());
  EXPECT_EQ(result->points[3].status.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(result->checkpoints.size(), 1u);
  EXPECT_TRUE(result->checkpoints[0].ok());
  ASSERT_EQ(result->decisions.size(), 1u);
  EXPECT_TRUE(result->decisions[0].ok());
  EXPECT_EQ(this->store().ReadPoints(a.lease.trial_id(), 0)->size(), 5u);
  EXPECT_EQ(this->store().ReadPoints(b.lease.trial_id(), 0)->size(), 3u);
  EXPECT_EQ(this->store().GetTrial(a.lease.trial_id())->checkpoint_step(), 5);
  EXPECT_EQ(this->store().ListDecisions("s1")->size(), 1u);
}

}  // namespace
}  // namespace augur::testing_util
