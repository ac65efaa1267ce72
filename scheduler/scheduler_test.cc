// The Scheduler's worker side and placement, driven the way the gRPC adapter drives it:
// sessions, leases, the batched write path and its acknowledgements, bad writes, lease expiry,
// pause and resume, trials that need k slots.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/scheduler_test_util.h"
#include "scheduler/store_test_util.h"

namespace augur {
namespace {

using testing::SchedulerTest;

TEST_F(SchedulerTest, UnknownTokenIsUnauthenticated) {
  v1::SessionHello hello;
  hello.set_worker_id("w");
  hello.set_session_token("forged");
  EXPECT_EQ(scheduler_->OpenSession(hello).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(SchedulerTest, LeasesFillTheWorkersSlotsAndPointsAreAckedAfterCommit) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 3);
  auto s = Connect("w1", 2);
  v1::WorkerMessage req;
  req.mutable_lease_request()->set_slots(2);
  scheduler_->HandleWorkerMessage(s, req);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  const v1::Lease b = Expect(*s, v1::SchedulerMessage::kLease).lease();
  EXPECT_NE(a.trial_id(), b.trial_id());
  EXPECT_GT(a.fencing_token(), 0);

  SendPoints(s, a, 1, 10, 5.0, /*seq=*/7);
  const v1::PointsAck ack = Expect(*s, v1::SchedulerMessage::kPointsAck).points_ack();
  EXPECT_EQ(ack.trial_id(), a.trial_id());
  EXPECT_EQ(ack.sequence(), 7);
  EXPECT_EQ(ack.durable_step(), 10);
  auto points = store_.ReadPoints(a.trial_id(), 0);
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 10u);  // Durable before the ack was queued.

  // The third trial waits until a slot frees up.
  v1::WorkerMessage ended;
  ended.mutable_ended()->set_trial_id(a.trial_id());
  ended.mutable_ended()->set_fencing_token(a.fencing_token());
  ended.mutable_ended()->set_state(v1::TRIAL_STATE_COMPLETED);
  scheduler_->HandleWorkerMessage(s, ended);
  EXPECT_EQ(Expect(*s, v1::SchedulerMessage::kEndedAck).ended_ack().trial_id(), a.trial_id());
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_COMPLETED);
  req.mutable_lease_request()->set_slots(1);  // As a worker does when a slot frees up.
  scheduler_->HandleWorkerMessage(s, req);
  const v1::Lease c = Expect(*s, v1::SchedulerMessage::kLease).lease();
  EXPECT_NE(c.trial_id(), a.trial_id());
  EXPECT_NE(c.trial_id(), b.trial_id());
}

// A full disk (SQLITE_FULL) fails the writer's commits: nothing is acknowledged, the sweep
// says so, the session is closed so that the worker resends, and once the disk has room the
// resent points are acknowledged and the warning goes away.
TEST_F(SchedulerTest, ADiskFullStoreAcknowledgesNothingAndShowsAWarningUntilItClears) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  const std::string sweep_id = "s1";
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  store_.FailWriterCommits(1);
  SendPoints(s, a, 1, 10, 5.0);
  scheduler_->WaitUntilIdle();
  for (const v1::SchedulerMessage& m : Drain(*s)) EXPECT_FALSE(m.has_points_ack());
  EXPECT_TRUE(s->closed());  // The worker reconnects and resends.
  auto sweep = scheduler_->GetSweep(sweep_id);
  ASSERT_TRUE(sweep.ok());
  EXPECT_NE(sweep->sweep().store_warning().find("database or disk is full"), std::string::npos)
      << sweep->sweep().store_warning();
  auto page = scheduler_->ListSweeps(10, "");
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->sweeps.at(0).store_warning().empty());

  auto back = Connect("w1", 1, {a});
  SendPoints(back, a, 1, 10, 5.0);
  EXPECT_EQ(Expect(*back, v1::SchedulerMessage::kPointsAck).points_ack().durable_step(), 10);
  EXPECT_TRUE(scheduler_->GetSweep(sweep_id)->sweep().store_warning().empty());
}

// 2,000 fake workers used to stay listed for ever.
TEST_F(SchedulerTest, AWorkerThatVanishedDropsOutOfTheListingAfterATimeout) {
  v1::RegisterWorkerRequest req;
  req.set_worker_id("ghost");
  req.set_cpu_slots(1);
  ASSERT_TRUE(scheduler_->RegisterWorker(req).ok());  // And never opens a session.
  auto live = Connect("live", 1);
  auto listed = scheduler_->ListWorkers();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  clock_.Advance(absl::Minutes(11));
  listed = scheduler_->ListWorkers();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);  // A connected worker stays, however quiet.
  EXPECT_EQ(listed->at(0).worker_id(), "live");
}

TEST_F(SchedulerTest, AWorkerThatAsksForNoMoreLeasesGetsNone) {
  auto s = Connect("w1", 2);
  v1::WorkerMessage req;
  req.mutable_lease_request()->set_slots(0);  // Shutting down.
  scheduler_->HandleWorkerMessage(s, req);
  CreateSweep(v1::POLICY_KIND_NONE, {}, 2);  // Work appears only now...
  clock_.Advance(absl::Milliseconds(5));     // ...and a dispatch round runs.
  for (const v1::SchedulerMessage& m : Drain(*s)) {
    EXPECT_FALSE(m.has_lease()) << "lease granted to a worker that asked for none";
  }
  req.mutable_lease_request()->set_slots(1);
  scheduler_->HandleWorkerMessage(s, req);
  Expect(*s, v1::SchedulerMessage::kLease);
}

TEST_F(SchedulerTest, ARequestMadeWhileNothingIsPendingIsHonouredLater) {
  auto s = Connect("w1", 1);
  v1::WorkerMessage req;
  req.mutable_lease_request()->set_slots(1);
  scheduler_->HandleWorkerMessage(s, req);
  EXPECT_TRUE(Drain(*s).empty());  // Dispatch ran and found nothing.
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  clock_.Advance(absl::Milliseconds(5));  // The next dispatch round finds it.
  Expect(*s, v1::SchedulerMessage::kLease);
}

TEST_F(SchedulerTest, BadWritesAreRejectedAndChangeNothing) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();

  v1::Lease stale = a;
  stale.set_fencing_token(a.fencing_token() + 100);
  SendPoints(s, stale, 1, 5, 5.0);
  v1::Rejection r = Expect(*s, v1::SchedulerMessage::kRejection).rejection();
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(r.trial_id(), a.trial_id());

  SendPoints(s, a, 1, 51, 5.0);  // Over max_points_per_batch.
  r = Expect(*s, v1::SchedulerMessage::kRejection).rejection();
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kInvalidArgument));

  v1::Lease unknown = a;
  unknown.set_trial_id("s1/nope");
  SendPoints(s, unknown, 1, 5, 5.0);
  r = Expect(*s, v1::SchedulerMessage::kRejection).rejection();
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_TRUE(store_.ReadPoints(a.trial_id(), 0)->empty());
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_RUNNING);
}

TEST_F(SchedulerTest, NanLossEndsTheTrialDiverged) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  v1::WorkerMessage m;
  m.mutable_points()->set_trial_id(a.trial_id());
  m.mutable_points()->set_fencing_token(a.fencing_token());
  for (int step = 1; step <= 3; ++step) {
    auto* p = m.mutable_points()->add_points();
    p->set_step(step);
    p->set_fraction(step / 100.0);
    p->set_train_loss(step == 3 ? std::numeric_limits<double>::quiet_NaN() : 5.0);
  }
  scheduler_->HandleWorkerMessage(s, m);
  const v1::Rejection r = Expect(*s, v1::SchedulerMessage::kRejection).rejection();
  EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_DIVERGED);
  EXPECT_EQ(store_.ReadPoints(a.trial_id(), 0)->size(), 2u);
}

TEST_F(SchedulerTest, ATrialNeedingKSlotsGoesToAWorkerWithKFree) {
  // Planning order: a 4-slot trial, then two 1-slot trials.
  CreateSweep(v1::POLICY_KIND_NONE, {}, 3, {4, 1, 1});
  auto small = Connect("small", 2);
  const v1::Lease x = Expect(*small, v1::SchedulerMessage::kLease).lease();
  const v1::Lease y = Expect(*small, v1::SchedulerMessage::kLease).lease();
  EXPECT_EQ(x.config().resources().gpus(), 1);  // The 4-slot trial was skipped, not forced.
  EXPECT_EQ(y.config().resources().gpus(), 1);
  auto big = Connect("big", 4);
  const v1::Lease z = Expect(*big, v1::SchedulerMessage::kLease).lease();
  EXPECT_EQ(z.config().resources().gpus(), 4);
  EXPECT_EQ(z.trial_id(), "s1/t000");
  auto workers = scheduler_->ListWorkers();
  ASSERT_TRUE(workers.ok());
  for (const v1::WorkerInfo& w : *workers) {
    EXPECT_EQ(w.trial_ids_size(), w.worker_id() == "small" ? 2 : 1) << w.worker_id();
  }
}

TEST_F(SchedulerTest, AWorkerIsHeldForATrialThatFitsNowhereYet) {
  // Planning order: a 1-slot trial, a 4-slot trial, then four 1-slot trials.
  CreateSweep(v1::POLICY_KIND_NONE, {}, 6, {1, 4, 1, 1, 1, 1});
  auto s = Connect("w1", 4);
  // 4 free: t0, then t1 does not fit in the 3 left and is skipped, then t2, t3 and t4.
  std::vector<v1::Lease> first;
  for (int i = 0; i < 4; ++i) first.push_back(Expect(*s, v1::SchedulerMessage::kLease).lease());
  EXPECT_EQ(first[0].trial_id(), "s1/t000");
  EXPECT_EQ(first[1].trial_id(), "s1/t002");
  EXPECT_EQ(first[3].trial_id(), "s1/t004");
  auto end = [&](const v1::Lease& l) {
    v1::WorkerMessage m;
    m.mutable_ended()->set_trial_id(l.trial_id());
    m.mutable_ended()->set_fencing_token(l.fencing_token());
    m.mutable_ended()->set_state(v1::TRIAL_STATE_COMPLETED);
    scheduler_->HandleWorkerMessage(s, m);
  };
  // Slots come free one by one: t5 would fit, but the 4-slot t1 is first in line and fits on
  // no worker, so w1 waits for it instead of letting t5 overtake it too.
  for (int i = 0; i < 3; ++i) end(first[i]);
  clock_.Advance(absl::Milliseconds(5));  // And a periodic dispatch round runs too.
  for (const v1::SchedulerMessage& m : Drain(*s)) {
    EXPECT_FALSE(m.has_lease()) << "leased " << m.lease().trial_id() << " past the 4-slot trial";
  }
  end(first[3]);
  const v1::Lease big = Expect(*s, v1::SchedulerMessage::kLease).lease();
  EXPECT_EQ(big.trial_id(), "s1/t001");
  EXPECT_EQ(big.config().resources().gpus(), 4);
  // A second worker too small for t1 is not held: it takes t5 at once.
  auto small = Connect("w2", 2);
  EXPECT_EQ(Expect(*small, v1::SchedulerMessage::kLease).lease().trial_id(), "s1/t005");
}

TEST_F(SchedulerTest, AnEndedSweepIsDroppedFromMemory) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  EXPECT_EQ(scheduler_->loaded_sweeps(), 1u);  // Loaded when its first trial was leased.
  SendPoints(s, a, 1, 10, 5.0);
  v1::WorkerMessage ended;
  ended.mutable_ended()->set_trial_id(a.trial_id());
  ended.mutable_ended()->set_fencing_token(a.fencing_token());
  ended.mutable_ended()->set_state(v1::TRIAL_STATE_COMPLETED);
  scheduler_->HandleWorkerMessage(s, ended);
  Expect(*s, v1::SchedulerMessage::kEndedAck);
  EXPECT_EQ(store_.GetSweep("s1")->state(), v1::Sweep::STATE_DONE);
  clock_.Advance(absl::Seconds(29));
  scheduler_->WaitUntilIdle();
  EXPECT_EQ(scheduler_->loaded_sweeps(), 1u);  // Not yet: ended sweeps are dropped every 30 s.
  clock_.Advance(absl::Seconds(2));
  scheduler_->WaitUntilIdle();
  EXPECT_EQ(scheduler_->loaded_sweeps(), 0u);
  EXPECT_EQ(store_.ReadPoints(a.trial_id(), 0)->size(), 10u);  // Only memory was dropped.
}

TEST_F(SchedulerTest, ExpiredLeaseIsRequeuedUnderANewFencingToken) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  auto s1 = Connect("w1", 1);
  const v1::Lease a = Expect(*s1, v1::SchedulerMessage::kLease).lease();
  SendPoints(s1, a, 1, 5, 5.0);
  Expect(*s1, v1::SchedulerMessage::kPointsAck);
  scheduler_->CloseSession(s1);  // The worker dies.
  clock_.Advance(absl::Seconds(31));
  auto s2 = Connect("w2", 1);
  const v1::Lease again = Expect(*s2, v1::SchedulerMessage::kLease).lease();
  EXPECT_EQ(again.trial_id(), a.trial_id());
  EXPECT_GT(again.fencing_token(), a.fencing_token());
  SendPoints(s1, a, 6, 8, 5.0);      // The old worker's late writes are rejected...
  SendPoints(s2, again, 6, 8, 7.0);  // ...the new lease's are taken (writes apply in order).
  Expect(*s2, v1::SchedulerMessage::kPointsAck);
  auto points = store_.ReadPoints(a.trial_id(), 0);
  ASSERT_EQ(points->size(), 8u);
  EXPECT_DOUBLE_EQ((*points)[5].train_loss(), 7.0 - 0.006);
}

// A worker process that restarts under the same id holds none of its predecessor's leases (the
// trainers died with it): those trials go back to PENDING at once and are leased again, instead
// of being renewed for ever under a holder that will never report. A worker that reconnects
// holding its lease keeps it.
TEST_F(SchedulerTest, AWorkerRestartedUnderTheSameIdGetsItsLostTrialAgain) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  auto first = Connect("w1", 1);
  const v1::Lease a = Expect(*first, v1::SchedulerMessage::kLease).lease();
  auto reconnected = Connect("w1", 1, {a});  // A network blip: the same process.
  EXPECT_EQ(accepted_.valid_leases_size(), 1);
  EXPECT_TRUE(Drain(*reconnected).empty());  // Nothing new: it still runs the trial.
  EXPECT_EQ(store_.GetLease(a.trial_id())->fencing_token, a.fencing_token());

  auto restarted = Connect("w1", 1);  // A new process: it holds nothing.
  EXPECT_EQ(accepted_.valid_leases_size(), 0);
  const v1::Lease again = Expect(*restarted, v1::SchedulerMessage::kLease).lease();
  EXPECT_EQ(again.trial_id(), a.trial_id());
  EXPECT_GT(again.fencing_token(), a.fencing_token());
  EXPECT_EQ(store_.GetTrial(a.trial_id())->attempts(), 2);
}

// A worker that was away when a trial ended names the trials it keeps checkpoints of when it
// connects: it hears which ended for good (or are gone), and only those.
TEST_F(SchedulerTest, AReconnectingWorkerHearsWhichOfItsKeptTrialsEnded) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 2);
  auto first = Connect("w1", 2);
  const v1::Lease a = Expect(*first, v1::SchedulerMessage::kLease).lease();
  const v1::Lease b = Expect(*first, v1::SchedulerMessage::kLease).lease();
  v1::WorkerMessage ended;
  ended.mutable_ended()->set_trial_id(a.trial_id());
  ended.mutable_ended()->set_fencing_token(a.fencing_token());
  ended.mutable_ended()->set_state(v1::TRIAL_STATE_COMPLETED);
  scheduler_->HandleWorkerMessage(first, ended);
  scheduler_->WaitUntilIdle();
  scheduler_->CloseSession(first);

  auto other = Connect("w2", 1, {}, DeviceKind::kGpu, {a.trial_id(), b.trial_id(), "s-gone/t001"});
  scheduler_->WaitUntilIdle();
  std::vector<std::string> announced;
  for (const v1::SchedulerMessage& m : Drain(*other)) {
    for (const std::string& id : m.trials_ended().trial_ids()) announced.push_back(id);
  }
  EXPECT_EQ(announced, (std::vector<std::string>{a.trial_id(), "s-gone/t001"}));
}

TEST_F(SchedulerTest, PauseKeepsTheCheckpointAndResumeLeasesFromIt) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  SendPoints(s, a, 1, 30, 5.0);
  v1::WorkerMessage ckpt;
  ckpt.mutable_checkpoint()->set_trial_id(a.trial_id());
  ckpt.mutable_checkpoint()->set_fencing_token(a.fencing_token());
  ckpt.mutable_checkpoint()->set_step(30);
  const std::string path = testing_util::CheckpointPathFor(a.trial_id(), 30);
  ckpt.mutable_checkpoint()->set_path(path);
  scheduler_->HandleWorkerMessage(s, ckpt);
  Expect(*s, v1::SchedulerMessage::kPointsAck);

  ASSERT_TRUE(scheduler_->PauseTrial(a.trial_id(), "").ok());
  const v1::TrialOrder order = Expect(*s, v1::SchedulerMessage::kOrder).order();
  EXPECT_EQ(order.action(), v1::TrialOrder::ACTION_PAUSE);
  v1::WorkerMessage ended;  // The worker checkpointed and stopped.
  ended.mutable_ended()->set_trial_id(a.trial_id());
  ended.mutable_ended()->set_fencing_token(a.fencing_token());
  ended.mutable_ended()->set_state(v1::TRIAL_STATE_PAUSED);
  scheduler_->HandleWorkerMessage(s, ended);
  Expect(*s, v1::SchedulerMessage::kEndedAck);
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(store_.GetTrial(a.trial_id())->checkpoint_step(), 30);

  ASSERT_TRUE(scheduler_->ResumeTrial(a.trial_id(), "").ok());
  const v1::Lease again = Expect(*s, v1::SchedulerMessage::kLease).lease();
  EXPECT_EQ(again.trial_id(), a.trial_id());
  EXPECT_GT(again.fencing_token(), a.fencing_token());
  EXPECT_EQ(again.resume_from().step(), 30);
  EXPECT_EQ(again.resume_from().path(), path);
}

}  // namespace
}  // namespace augur
