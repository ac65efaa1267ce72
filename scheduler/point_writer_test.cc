// PointWriter at its boundary: what it acknowledges (only what is durable), what it refuses,
// how it batches, what a failed commit does, and what it hands to its sink.
#include "scheduler/point_writer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "scheduler/fault_injecting_store.h"
#include "scheduler/memory_store.h"

namespace augur {
namespace {

class PointWriterTest : public ::testing::Test {
 protected:
  PointWriterTest()
      : memory_(clock_),
        store_(&memory_),
        priority_(&clock_, absl::Milliseconds(30)),
        activity_(&clock_),
        session_(std::make_shared<WorkerSession>("w1", 2, 1)) {
    v1::Sweep sweep;
    sweep.set_sweep_id("s");
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    std::vector<v1::Trial> trials;
    for (const char* id : {"s/t0", "s/t1"}) {
      v1::Trial t;
      t.set_trial_id(id);
      t.set_sweep_id("s");
      t.set_state(v1::TRIAL_STATE_PENDING);
      t.mutable_config()->set_total_steps(100);
      trials.push_back(t);
    }
    EXPECT_TRUE(memory_.CreateSweep(sweep, trials).ok());
    auto grants = memory_.AcquireLeases("w1", absl::Seconds(30), 2, 2);
    EXPECT_TRUE(grants.ok() && grants->size() == 2u);
    for (const LeaseGrant& g : *grants) token_[g.trial.trial_id()] = g.lease.fencing_token();
  }

  // A writer with the given limits; its sink records every call.
  void MakeWriter(size_t max_points_per_commit = 2048) {
    PointWriterOptions o;
    o.max_points_per_commit = max_points_per_commit;
    writer_ = std::make_unique<PointWriter>(&store_, &clock_, &priority_, &activity_, o,
                                            [this](CommittedWrites w) {
                                              absl::MutexLock lock(&mu_);
                                              committed_.push_back(std::move(w));
                                            });
  }

  v1::WorkerMessage Points(const std::string& trial, int from, int to, int64_t seq,
                           double loss = 4.0) {
    v1::WorkerMessage m;
    m.mutable_points()->set_trial_id(trial);
    m.mutable_points()->set_fencing_token(token_[trial]);
    m.mutable_points()->set_sequence(seq);
    for (int step = from; step <= to; ++step) {
      v1::LossPoint* p = m.mutable_points()->add_points();
      p->set_step(step);
      p->set_fraction(std::min(1.0, step / 100.0));
      p->set_train_loss(step == to && std::isnan(loss) ? loss : 4.0);
    }
    return m;
  }

  v1::WorkerMessage Ended(const std::string& trial, v1::TrialState state) {
    v1::WorkerMessage m;
    m.mutable_ended()->set_trial_id(trial);
    m.mutable_ended()->set_fencing_token(token_[trial]);
    m.mutable_ended()->set_state(state);
    return m;
  }

  std::vector<v1::SchedulerMessage> Sent() {
    std::vector<v1::SchedulerMessage> out;
    v1::SchedulerMessage m;
    while (session_->TryNext(&m)) out.push_back(m);
    return out;
  }

  std::vector<CommittedWrites> Committed() {
    absl::MutexLock lock(&mu_);
    return committed_;
  }

  FakeClock clock_;
  MemoryStore memory_;
  FaultInjectingStore store_;
  CommitPriority priority_;
  Activity activity_;
  std::shared_ptr<WorkerSession> session_;
  std::map<std::string, int64_t> token_;
  std::unique_ptr<PointWriter> writer_;
  absl::Mutex mu_;
  std::vector<CommittedWrites> committed_ ABSL_GUARDED_BY(mu_);
};

TEST_F(PointWriterTest, AcknowledgesWhatIsDurableAndRejectsWhatTheStoreRefuses) {
  MakeWriter();
  writer_->Enqueue(session_, Points("s/t0", 1, 10, 5));
  v1::WorkerMessage stale = Points("s/t1", 1, 3, 6);
  stale.mutable_points()->set_fencing_token(token_["s/t1"] + 1);
  writer_->Enqueue(session_, stale);
  writer_->Start();  // Both are queued before the first commit.
  writer_->WaitIdle();
  const auto sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  ASSERT_TRUE(sent[0].has_points_ack());
  EXPECT_EQ(sent[0].points_ack().trial_id(), "s/t0");
  EXPECT_EQ(sent[0].points_ack().sequence(), 5);
  EXPECT_EQ(sent[0].points_ack().durable_step(), 10);
  ASSERT_TRUE(sent[1].has_rejection());
  EXPECT_EQ(sent[1].rejection().code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(sent[1].rejection().trial_id(), "s/t1");
  EXPECT_EQ(memory_.ReadPoints("s/t0", 0)->size(), 10u);
  EXPECT_TRUE(memory_.ReadPoints("s/t1", 0)->empty());
  const auto committed = Committed();
  ASSERT_EQ(committed.size(), 1u);  // One transaction for both writes.
  EXPECT_EQ(committed[0].inserted, 10);
  EXPECT_FALSE(committed[0].slots_freed);
}

TEST_F(PointWriterTest, ACommitTakesQueuedWritesUpToItsPointLimit) {
  MakeWriter(/*max_points_per_commit=*/50);
  for (int i = 0; i < 3; ++i)
    writer_->Enqueue(session_, Points("s/t0", 40 * i + 1, 40 * i + 40, i));
  writer_->Start();  // Everything is queued before the first commit.
  writer_->WaitIdle();
  EXPECT_EQ(store_.calls(), 2);  // 40 + 40 points (the limit reached), then 40.
  EXPECT_EQ(Committed().size(), 2u);
  EXPECT_EQ(memory_.ReadPoints("s/t0", 0)->size(), 120u);
}

TEST_F(PointWriterTest, AFailedCommitAcknowledgesNothingAndClosesTheSession) {
  MakeWriter();
  store_.FailOperation("ApplyBatch", absl::UnavailableError("injected"));
  writer_->Start();
  writer_->Enqueue(session_, Points("s/t0", 1, 10, 1));
  writer_->WaitIdle();
  EXPECT_TRUE(session_->closed());  // The worker reconnects and sends it again.
  EXPECT_TRUE(Sent().empty());
  EXPECT_TRUE(Committed().empty());
  EXPECT_TRUE(memory_.ReadPoints("s/t0", 0)->empty());
}

TEST_F(PointWriterTest, LeaseEndsFollowTheirPointsAndFreeTheirSlots) {
  MakeWriter();
  writer_->Enqueue(session_, Points("s/t0", 1, 100, 1));
  writer_->Enqueue(session_, Ended("s/t0", v1::TRIAL_STATE_COMPLETED));
  writer_->Enqueue(session_, Ended("s/t1", v1::TRIAL_STATE_FAILED));  // First attempt.
  writer_->Start();
  writer_->WaitIdle();
  const auto sent = Sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_TRUE(sent[0].has_points_ack());
  EXPECT_EQ(sent[1].ended_ack().trial_id(), "s/t0");
  EXPECT_EQ(sent[2].ended_ack().trial_id(), "s/t1");
  const auto committed = Committed();
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_TRUE(committed[0].slots_freed);
  ASSERT_EQ(committed[0].ended.size(), 2u);
  EXPECT_EQ(committed[0].ended[0].state(), v1::TRIAL_STATE_COMPLETED);
  // A failed trial with attempts left goes back to PENDING, to resume from its checkpoint.
  EXPECT_EQ(committed[0].ended[1].state(), v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(memory_.ReadPoints("s/t0", 0)->size(), 100u);
}

TEST_F(PointWriterTest, ANonFiniteLossEndsTheTrialAndIsHandedOnAsDiverged) {
  MakeWriter();
  writer_->Start();
  writer_->Enqueue(session_, Points("s/t0", 1, 5, 1, std::numeric_limits<double>::quiet_NaN()));
  writer_->WaitIdle();
  const auto sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].points_ack().durable_step(), 4);  // The finite points before it.
  EXPECT_EQ(sent[1].rejection().code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  const auto committed = Committed();
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].diverged, std::vector<std::string>{"s/t0"});
  EXPECT_EQ(memory_.GetTrial("s/t0")->state(), v1::TRIAL_STATE_DIVERGED);
}

TEST_F(PointWriterTest, StopCommitsWhatIsQueued) {
  MakeWriter();
  writer_->Enqueue(session_, Points("s/t0", 1, 10, 1));
  writer_->Start();
  writer_->Stop();
  EXPECT_EQ(memory_.ReadPoints("s/t0", 0)->size(), 10u);
  ASSERT_EQ(Sent().size(), 1u);
}

}  // namespace
}  // namespace augur
