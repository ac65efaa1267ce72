// The scheduler core against the in-memory store, driven the way the gRPC adapter drives it:
// sessions, leases, the batched write path, milestones and stop orders, lease expiry.
#include "scheduler/scheduler.h"

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/memory_store.h"

namespace augur {
namespace {

constexpr int64_t kSteps = 100;

// The in-memory store, whose writer commits can be held back (a stand-in for a write queue
// that is slow to drain) and whose writes of decisions can be made to fail.
class HoldableStore : public MemoryStore {
 public:
  using MemoryStore::MemoryStore;
  void HoldWriterCommits(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_ = hold;
  }
  // The next `n` batches of decisions without stops (the write queue's) fail.
  void FailDecisionWrites(int n) {
    absl::MutexLock lock(&mu_);
    fail_decision_writes_ = n;
  }
  int failed() {
    absl::MutexLock lock(&mu_);
    return failed_;
  }
  absl::StatusOr<WriteBatchResult> ApplyBatch(const WriteBatch& batch) override {
    {
      absl::MutexLock lock(&mu_);
      // The writer's batches (points, checkpoints, lease ends, CONTINUE decisions) have no
      // transitions; a decision round's STOP batch has.
      if (batch.transitions.empty()) {
        mu_.Await(absl::Condition(
            +[](bool* hold) { return !*hold; }, &hold_));
      }
      if (!batch.decisions.empty() && batch.transitions.empty() && fail_decision_writes_ > 0) {
        --fail_decision_writes_;
        ++failed_;
        return absl::UnavailableError("injected: the disk is away");
      }
    }
    return MemoryStore::ApplyBatch(batch);
  }

 private:
  absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  int fail_decision_writes_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
};

v1::Trial MakeTrial(const std::string& sweep_id, int i) {
  v1::Trial t;
  t.set_trial_id(sweep_id + "/t00" + std::to_string(i));
  t.set_sweep_id(sweep_id);
  t.set_state(v1::TRIAL_STATE_PENDING);
  t.mutable_config()->set_total_steps(kSteps);
  auto* c = t.mutable_controls();
  c->set_tokens_per_param(20);
  c->set_tau(0.2);
  c->mutable_schedule()->set_shape(v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  c->mutable_schedule()->set_warmup_fraction(0.1);
  c->set_total_steps(kSteps);
  c->set_peak_lr(0.01 * (i + 1));
  return t;
}

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : store_(clock_) {
    SchedulerOptions o;
    o.lease_ttl = absl::Seconds(30);
    o.max_points_per_batch = 50;
    o.maintenance_interval = absl::Milliseconds(5);
    scheduler_ = std::make_unique<Scheduler>(&store_, &clock_, o);
    scheduler_->Start();
  }

  void CreateSweep(v1::PolicyKind kind, std::vector<double> milestones, int trials,
                   std::vector<int> gpus = {}) {
    v1::Sweep sweep;
    sweep.set_sweep_id("s1");
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    sweep.mutable_spec()->mutable_policy()->set_kind(kind);
    for (double m : milestones) sweep.mutable_spec()->mutable_policy()->add_milestone_fractions(m);
    sweep.mutable_spec()->mutable_policy()->set_keep_top(1);
    std::vector<v1::Trial> ts;
    for (int i = 0; i < trials; ++i) {
      ts.push_back(MakeTrial("s1", i));
      if (i < static_cast<int>(gpus.size())) {
        ts.back().mutable_config()->mutable_resources()->set_gpus(gpus[i]);
      }
    }
    ASSERT_TRUE(store_.CreateSweep(sweep, ts).ok());
  }

  std::shared_ptr<WorkerSession> Connect(const std::string& worker, int slots) {
    v1::RegisterWorkerRequest req;
    req.set_worker_id(worker);
    req.set_cpu_slots(slots);
    auto reg = scheduler_->RegisterWorker(req);
    EXPECT_TRUE(reg.ok()) << reg.status();
    v1::SessionHello hello;
    hello.set_worker_id(worker);
    hello.set_session_token(reg->session_token());
    auto s = scheduler_->OpenSession(hello);
    EXPECT_TRUE(s.ok()) << s.status();
    v1::SchedulerMessage m;
    EXPECT_TRUE((*s)->Next(&m, absl::Seconds(5)));
    EXPECT_TRUE(m.has_accepted());
    return *s;
  }

  // The next message of the given kind (others are kept aside), or fails after 10 s.
  v1::SchedulerMessage Expect(WorkerSession& s, v1::SchedulerMessage::KindCase kind) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    v1::SchedulerMessage m;
    while (absl::Now() < deadline) {
      if (s.Next(&m, absl::Milliseconds(50))) {
        if (m.kind_case() == kind) return m;
        aside_.push_back(m);
      }
    }
    ADD_FAILURE() << "no message of kind " << kind;
    return {};
  }

  void SendPoints(const std::shared_ptr<WorkerSession>& s, const v1::Lease& lease, int from, int to,
                  double base_loss, int64_t seq = 1) {
    v1::WorkerMessage m;
    auto* b = m.mutable_points();
    b->set_trial_id(lease.trial_id());
    b->set_fencing_token(lease.fencing_token());
    b->set_sequence(seq);
    for (int step = from; step <= to; ++step) {
      auto* p = b->add_points();
      p->set_step(step);
      p->set_fraction(static_cast<double>(step) / kSteps);
      p->set_train_loss(base_loss - 0.001 * step);
    }
    scheduler_->HandleWorkerMessage(s, m);
  }

  // The trial's stored decision at milestone m, waiting up to 10 s for it.
  std::optional<v1::Decision> WaitForDecision(const std::string& trial_id, double m) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      auto decisions = store_.ListDecisions("s1");
      if (decisions.ok()) {
        for (const v1::Decision& d : *decisions) {
          if (d.trial_id() == trial_id && std::abs(d.milestone_fraction() - m) < 1e-9) return d;
        }
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
    return std::nullopt;
  }

  FakeClock clock_;
  HoldableStore store_;
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<v1::SchedulerMessage> aside_;
};

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

TEST_F(SchedulerTest, AWorkerThatAsksForNoMoreLeasesGetsNone) {
  auto s = Connect("w1", 2);
  v1::WorkerMessage req;
  req.mutable_lease_request()->set_slots(0);  // Shutting down.
  scheduler_->HandleWorkerMessage(s, req);
  CreateSweep(v1::POLICY_KIND_NONE, {}, 2);  // Work appears only now.
  v1::SchedulerMessage m;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(300);
  while (absl::Now() < deadline) {
    if (s->Next(&m, absl::Milliseconds(20))) {
      EXPECT_FALSE(m.has_lease()) << "lease granted to a worker that asked for none";
    }
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
  absl::SleepFor(absl::Milliseconds(100));  // Dispatch runs (every 5 ms here) and finds nothing.
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
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
  EXPECT_EQ(scheduler_->stop_latency().count, 1);
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

// A STOP (decision, stop and order) goes ahead of the write queue; the points it saw and the
// round's CONTINUE decisions are stored by the writer.
TEST_F(SchedulerTest, AStopDoesNotWaitForTheWriteQueueButAContinueDoes) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 2);
  auto s = Connect("w1", 2);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  const v1::Lease b = Expect(*s, v1::SchedulerMessage::kLease).lease();
  // Nothing the workers send gets committed by the writer while the stop is decided.
  store_.HoldWriterCommits(true);
  SendPoints(s, a, 1, 25, 4.0);
  SendPoints(s, b, 1, 25, 4.5);
  const v1::TrialOrder order = Expect(*s, v1::SchedulerMessage::kOrder).order();
  EXPECT_EQ(order.trial_id(), b.trial_id());
  EXPECT_EQ(order.action(), v1::TrialOrder::ACTION_STOP);
  for (const v1::SchedulerMessage& m : aside_) {
    EXPECT_FALSE(m.has_points_ack()) << "a point was acknowledged while commits were held";
  }
  EXPECT_EQ(store_.GetTrial(b.trial_id())->state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_TRUE(store_.ReadPoints(b.trial_id(), 0)->empty());  // Still in the write queue.
  ASSERT_TRUE(WaitForDecision(b.trial_id(), 0.2).has_value());
  absl::SleepFor(absl::Milliseconds(50));
  auto decisions = store_.ListDecisions("s1");
  ASSERT_TRUE(decisions.ok());
  EXPECT_EQ(decisions->size(), 1u);  // a's CONTINUE waits in the write queue.
  // Released, the writer commits both trials' points and acknowledges them: the stopped
  // trial's points the decision saw become durable too, and so does a's CONTINUE.
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
  const auto kept = WaitForDecision(a.trial_id(), 0.2);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->action(), v1::DECISION_ACTION_CONTINUE);
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_RUNNING);
}

TEST_F(SchedulerTest, ContinueDecisionsWhoseWriteFailedAreDecidedAgain) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 1);
  store_.FailDecisionWrites(1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  SendPoints(s, a, 1, 25, 4.0);
  const auto kept = WaitForDecision(a.trial_id(), 0.2);
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
    const auto d = WaitForDecision(leases[i].trial_id(), 0.5);
    ASSERT_TRUE(d.has_value()) << i;
    stops += d->action() == v1::DECISION_ACTION_STOP;
  }
  EXPECT_GT(stops, 0);  // The comparison happened: some trials were worse than the median.
  // One round per trial, each round comparing every trial so far: without kept summaries the
  // per-trial stage would run 1 + 2 + ... + 12 = 78 times.
  EXPECT_EQ(scheduler_->stop_latency().summarized, kTrials);
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
  v1::SchedulerMessage m;
  const absl::Time until = absl::Now() + absl::Milliseconds(300);
  while (absl::Now() < until) {
    if (s->Next(&m, absl::Milliseconds(20))) {
      EXPECT_FALSE(m.has_lease()) << "leased " << m.lease().trial_id() << " past the 4-slot trial";
    }
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
  clock_.Advance(absl::Seconds(31));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (scheduler_->loaded_sweeps() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
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

TEST_F(SchedulerTest, PauseKeepsTheCheckpointAndResumeLeasesFromIt) {
  CreateSweep(v1::POLICY_KIND_NONE, {}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  SendPoints(s, a, 1, 30, 5.0);
  v1::WorkerMessage ckpt;
  ckpt.mutable_checkpoint()->set_trial_id(a.trial_id());
  ckpt.mutable_checkpoint()->set_fencing_token(a.fencing_token());
  ckpt.mutable_checkpoint()->set_step(30);
  ckpt.mutable_checkpoint()->set_path("/ckpt/step-30");
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
  EXPECT_EQ(again.resume_from().path(), "/ckpt/step-30");
}

TEST_F(SchedulerTest, AMilestonePassedWithoutAStoredDecisionIsDecidedAfterARestart) {
  CreateSweep(v1::POLICY_KIND_TOP_K, {0.2}, 1);
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  // The trial passed 20% and its points are durable, but the scheduler died before its
  // decision was stored (CONTINUE decisions wait in the write queue).
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
  scheduler_.reset();
  SchedulerOptions o;
  o.maintenance_interval = absl::Milliseconds(5);
  scheduler_ = std::make_unique<Scheduler>(&store_, &clock_, o);
  scheduler_->Start();
  // The worker reconnects and goes on from step 26: no batch crosses 20% again.
  auto again = Connect("w1", 1);
  SendPoints(again, a, 26, 30, 4.0);
  const auto d = WaitForDecision(a.trial_id(), 0.2);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->action(), v1::DECISION_ACTION_CONTINUE);
}

TEST_F(SchedulerTest, TrialsWaitingForTheirReferenceAreDecidedWhenItCompletes) {
  v1::Sweep sweep;
  sweep.set_sweep_id("s1");
  sweep.set_state(v1::Sweep::STATE_RUNNING);
  sweep.mutable_spec()->mutable_policy()->set_kind(v1::POLICY_KIND_COLLAPSE);
  sweep.mutable_spec()->mutable_policy()->add_milestone_fractions(0.2);
  std::vector<v1::Trial> trials = {MakeTrial("s1", 0), MakeTrial("s1", 1), MakeTrial("s1", 2)};
  trials[0].set_is_reference(true);  // Same controls: one collapse group.
  ASSERT_TRUE(store_.CreateSweep(sweep, trials).ok());
  auto s = Connect("w1", 3);
  std::map<std::string, v1::Lease> leases;
  for (int i = 0; i < 3; ++i) {
    const v1::Lease l = Expect(*s, v1::SchedulerMessage::kLease).lease();
    leases[l.trial_id()] = l;
  }
  const v1::Lease& ref = leases.at("s1/t000");
  SendPoints(s, leases.at("s1/t001"), 1, 25, 4.0);
  SendPoints(s, leases.at("s1/t002"), 1, 25, 4.2);
  // Past 20%, but without a complete reference nobody is decided.
  absl::SleepFor(absl::Milliseconds(200));
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
    const auto d = WaitForDecision(id, 0.2);
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
  Scheduler restarted(&store_, &clock_);
  restarted.Start();
  const v1::Trial t = *store_.GetTrial(a.trial_id());
  EXPECT_EQ(t.state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_EQ(t.message(), "rank 2 of 2");
}

}  // namespace
}  // namespace augur
