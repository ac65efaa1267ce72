// The Dispatcher at its boundary: leases to the sessions that asked for them, best fit, a worker
// held for a trial that fits nowhere yet, lease expiry and the forgetting of ended sweeps on the
// clock. Each test lets the dispatcher finish (WaitIdle) and reads what the workers received.
#include "scheduler/dispatcher.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/memory_store.h"
#include "scheduler/part_test_util.h"

namespace augur {
namespace {

using testing::StoreSweep;
using testing::SweepShape;

class DispatcherTest : public ::testing::Test {
 protected:
  // Starts the dispatcher and waits for its first round.
  void Start(DispatcherOptions options = {}) {
    dispatcher_ =
        std::make_unique<Dispatcher>(&store_, &clock_, &sessions_, &curves_, &activity_, options);
    dispatcher_->Start();
    dispatcher_->WaitIdle();
  }
  std::shared_ptr<WorkerSession> Connect(const std::string& worker, int slots) {
    return testing::Connect(sessions_, store_, worker, slots);
  }
  // Lets a round run, then takes the leases the worker received.
  std::vector<v1::Lease> Leases(WorkerSession& s) {
    dispatcher_->WaitIdle();
    std::vector<v1::Lease> out;
    for (const v1::SchedulerMessage& m : testing::TakeAll(s, v1::SchedulerMessage::kLease)) {
      out.push_back(m.lease());
    }
    return out;
  }
  std::vector<std::string> TrialIds(const std::vector<v1::Lease>& leases) {
    std::vector<std::string> ids;
    for (const v1::Lease& l : leases) ids.push_back(l.trial_id());
    return ids;
  }
  void Complete(const v1::Lease& l) {
    EXPECT_TRUE(
        store_.EndLease(l.trial_id(), l.fencing_token(), v1::TRIAL_STATE_COMPLETED, "").ok());
    dispatcher_->Wake();  // As the writer's sink does when slots come free.
  }
  v1::Trial Stored(const std::string& trial_id) { return *store_.GetTrial(trial_id); }

  FakeClock clock_;
  MemoryStore store_{clock_};
  SeededRandom random_{1};
  SessionRegistry sessions_{&random_};
  TrialCurves curves_{&store_, &clock_, [](CurveEvent) {}};
  Activity activity_{&clock_};
  std::unique_ptr<Dispatcher> dispatcher_;  // Last: stops before the parts it uses go.
};

TEST_F(DispatcherTest, ASessionGetsAsManyLeasesAsItAskedFor) {
  StoreSweep(store_, "s1", {.trials = 5});
  Start();
  auto s = Connect("w1", 4);
  s->SetWanted(0);  // A worker shutting down.
  dispatcher_->Wake();
  EXPECT_TRUE(Leases(*s).empty());
  EXPECT_EQ(Stored("s1/t000").state(), v1::TRIAL_STATE_PENDING);
  s->SetWanted(2);
  dispatcher_->Wake();
  EXPECT_EQ(Leases(*s).size(), 2u);  // Though 4 slots are free.
  EXPECT_EQ(s->wanted(), 0);         // The grants were counted against the request.
  dispatcher_->Wake();
  EXPECT_TRUE(Leases(*s).empty());
}

TEST_F(DispatcherTest, ALeaseExpiresOnceItsTtlHasPassedAtTheNextTick) {
  StoreSweep(store_, "s1", {.trials = 1});
  auto w1 = Connect("w1", 1);
  Start({.lease_ttl = absl::Seconds(15),
         .maintenance_interval = absl::Seconds(10),
         .forget_interval = absl::Hours(1)});
  const std::vector<v1::Lease> first = Leases(*w1);
  ASSERT_EQ(first.size(), 1u);
  sessions_.Close(w1);  // The worker dies.
  auto w2 = Connect("w2", 1);
  clock_.Advance(absl::Seconds(10));  // A tick, before the TTL.
  EXPECT_TRUE(Leases(*w2).empty());
  clock_.Advance(absl::Seconds(5));  // The TTL has passed; the next tick is 5 s away.
  dispatcher_->Wake();               // A round between ticks does not expire leases.
  EXPECT_TRUE(Leases(*w2).empty());
  EXPECT_EQ(Stored("s1/t000").worker_id(), "w1");
  clock_.Advance(absl::Seconds(5));
  const std::vector<v1::Lease> again = Leases(*w2);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].trial_id(), "s1/t000");
  EXPECT_GT(again[0].fencing_token(), first[0].fencing_token());
  EXPECT_EQ(Stored("s1/t000").state(), v1::TRIAL_STATE_RUNNING);
  EXPECT_EQ(Stored("s1/t000").worker_id(), "w2");
  EXPECT_EQ(Stored("s1/t000").attempts(), 2);
}

TEST_F(DispatcherTest, AOneSlotTrialGoesToTheWorkerWithTheFewestFreeSlots) {
  StoreSweep(store_, "s1", {.trials = 1});
  auto roomy = Connect("a-roomy", 4);  // First by worker id.
  auto tight = Connect("b-tight", 2);
  Start();
  EXPECT_TRUE(Leases(*roomy).empty());
  EXPECT_EQ(TrialIds(Leases(*tight)), std::vector<std::string>{"s1/t000"});
}

TEST_F(DispatcherTest, AWorkerIsHeldForATrialThatFitsNowhereYet) {
  // Planning order: a 1-slot trial, a 4-slot trial, then four 1-slot trials.
  StoreSweep(store_, "s1", {.trials = 6, .gpus = {1, 4, 1, 1, 1, 1}});
  auto w1 = Connect("w1", 4);
  Start();
  const std::vector<v1::Lease> first = Leases(*w1);  // t1 does not fit in the 3 left.
  ASSERT_EQ(TrialIds(first),
            (std::vector<std::string>{"s1/t000", "s1/t002", "s1/t003", "s1/t004"}));
  // Three slots come free on w1: t5 would fit, but t1 is first in line and fits nowhere, so
  // w1 is held for it.
  for (int i = 0; i < 3; ++i) Complete(first[i]);
  EXPECT_TRUE(Leases(*w1).empty());
  // A worker too small for t1 is not held (though first by id and as free as w1): it takes t5.
  auto small = Connect("small", 3);
  dispatcher_->Wake();
  EXPECT_EQ(TrialIds(Leases(*small)), std::vector<std::string>{"s1/t005"});
  EXPECT_TRUE(Leases(*w1).empty());
  Complete(first[3]);
  const std::vector<v1::Lease> big = Leases(*w1);
  ASSERT_EQ(TrialIds(big), std::vector<std::string>{"s1/t001"});
  EXPECT_EQ(big[0].config().resources().gpus(), 4);
}

TEST_F(DispatcherTest, EndedSweepsLeaveTheCurvesOnceTheForgetIntervalHasPassed) {
  StoreSweep(store_, "s1", {.trials = 1});
  StoreSweep(store_, "s2", {.trials = 1});
  auto w1 = Connect("w1", 2);
  Start({.lease_ttl = absl::Hours(1), .forget_interval = absl::Seconds(30)});
  const std::vector<v1::Lease> leases = Leases(*w1);
  ASSERT_EQ(TrialIds(leases), (std::vector<std::string>{"s1/t000", "s2/t000"}));
  EXPECT_EQ(curves_.loaded_sweeps(), 2u);  // Loaded when their trials were leased.
  Complete(leases[0]);
  ASSERT_EQ(store_.GetSweep("s1")->state(), v1::Sweep::STATE_DONE);
  clock_.Advance(absl::Seconds(29));
  dispatcher_->WaitIdle();
  EXPECT_EQ(curves_.loaded_sweeps(), 2u);  // Not yet.
  clock_.Advance(absl::Seconds(1));
  dispatcher_->WaitIdle();
  EXPECT_EQ(curves_.loaded_sweeps(), 1u);
  EXPECT_FALSE(curves_.Policy("s1").has_value());
  EXPECT_TRUE(curves_.Policy("s2").has_value());  // Still running.
}

}  // namespace
}  // namespace augur
