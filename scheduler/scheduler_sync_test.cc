// Synchronous milestones (the default, StoppingPolicy.asynchronous false): leases that stop at
// the next milestone, trials that wait there with their slot freed, one decision per group
// once its live trials are all there, survivors released to resume from their checkpoints,
// and decisions that depend neither on the order of the grid nor on the order of leasing.
#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "scheduler/scheduler_test_util.h"

namespace augur {
namespace {

using testing::kSteps;
using testing::MakeTrial;

// The same curve for the same configuration, whatever its trial id: offsets not monotone in
// the learning rate, so that the ranking is not the grid's order.
double Loss(double peak_lr, int64_t step) {
  const int k = static_cast<int>(std::lround(peak_lr * 100)) - 1;  // MakeTrial: 0.01 * (k + 1).
  return 3.0 + 0.2 * ((k * 5) % 6) + 0.3 * std::exp(-static_cast<double>(step) / 20.0);
}

int64_t StopStep(double run_until) {
  return run_until > 0 ? static_cast<int64_t>(std::ceil(run_until * kSteps - 1e-9)) : kSteps;
}

class SyncTest : public testing::SchedulerTest {
 protected:
  SyncTest() { asynchronous_ = false; }

  // A sweep whose trial i has the configuration of MakeTrial(order[i]).
  void CreateOrdered(const std::string& id, v1::StoppingPolicy policy,
                     const std::vector<int>& order) {
    v1::Sweep sweep;
    sweep.set_sweep_id(id);
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    *sweep.mutable_spec()->mutable_policy() = std::move(policy);
    std::vector<v1::Trial> ts;
    for (size_t i = 0; i < order.size(); ++i) {
      v1::Trial t = MakeTrial(id, order[i]);
      t.set_trial_id(absl::StrCat(id, "/t", i));
      ts.push_back(std::move(t));
    }
    ASSERT_TRUE(store_.CreateSweep(sweep, ts).ok());
  }

  void Send(const std::shared_ptr<WorkerSession>& s, v1::WorkerMessage m) {
    scheduler_->HandleWorkerMessage(s, m);
  }

  // Trains the lease as a worker would: from its checkpoint to its run_until (or the end),
  // then checkpoints there and ends WAITING (or COMPLETED).
  void Run(const std::shared_ptr<WorkerSession>& s, const v1::Lease& lease, double peak_lr) {
    const int64_t to = StopStep(lease.run_until_fraction());
    for (int64_t from = lease.resume_from().step() + 1; from <= to; from += 20) {
      v1::WorkerMessage m;
      auto* b = m.mutable_points();
      b->set_trial_id(lease.trial_id());
      b->set_fencing_token(lease.fencing_token());
      b->set_sequence(from);
      for (int64_t step = from; step <= std::min(to, from + 19); ++step) {
        auto* p = b->add_points();
        p->set_step(step);
        p->set_fraction(static_cast<double>(step) / kSteps);
        p->set_train_loss(Loss(peak_lr, step));
      }
      Send(s, m);
    }
    if (to < kSteps) {
      v1::WorkerMessage c;
      c.mutable_checkpoint()->set_trial_id(lease.trial_id());
      c.mutable_checkpoint()->set_fencing_token(lease.fencing_token());
      c.mutable_checkpoint()->set_step(to);
      // The worker's layout (CheckCheckpointPath): <work>/<trial id, / as _>/checkpoints/.
      c.mutable_checkpoint()->set_path(
          absl::StrCat("/work/", absl::StrReplaceAll(lease.trial_id(), {{"/", "_"}}),
                       absl::StrFormat("/checkpoints/step-%010d.ckpt", to)));
      Send(s, c);
    }
    End(s, lease, to < kSteps ? v1::TRIAL_STATE_WAITING : v1::TRIAL_STATE_COMPLETED, to);
  }

  void End(const std::shared_ptr<WorkerSession>& s, const v1::Lease& lease, v1::TrialState state,
           int64_t last_step) {
    v1::WorkerMessage e;
    e.mutable_ended()->set_trial_id(lease.trial_id());
    e.mutable_ended()->set_fencing_token(lease.fencing_token());
    e.mutable_ended()->set_state(state);
    e.mutable_ended()->set_last_step(last_step);
    Send(s, e);
  }

  // Trial id -> its learning rate.
  std::map<std::string, double> LrOf(const std::string& id) {
    std::map<std::string, double> out;
    auto trials = store_.ListTrials(id);
    EXPECT_TRUE(trials.ok()) << trials.status();
    if (!trials.ok()) return out;
    for (const v1::Trial& t : *trials) out[t.trial_id()] = t.controls().peak_lr();
    return out;
  }

  std::vector<v1::Decision> Decisions(const std::string& id) {
    auto decisions = store_.ListDecisions(id);
    EXPECT_TRUE(decisions.ok()) << decisions.status();
    return decisions.ok() ? *std::move(decisions) : std::vector<v1::Decision>{};
  }

  enum class Pick { kFirst, kLast };

  // Runs the sweep to its end on one worker with `slots` slots, which trains its leases one
  // at a time, the oldest or the newest first, and obeys stop orders. Returns the decisions
  // as "lr@milestone:ACTION", sorted, and the most leases it held at once.
  std::vector<std::string> RunToEnd(const std::string& id, int slots, Pick pick,
                                    int* most_held = nullptr) {
    auto s = Connect(absl::StrCat("w-", id), slots);
    std::deque<v1::Lease> held;
    std::map<std::string, double> lr_of = LrOf(id);
    for (int round = 0; round < 200; ++round) {
      for (const v1::SchedulerMessage& m : Drain(*s)) {
        if (m.has_lease()) held.push_back(m.lease());
        if (m.has_order() && m.order().action() == v1::TrialOrder::ACTION_STOP) {
          auto it = std::find_if(held.begin(), held.end(), [&](const v1::Lease& l) {
            return l.trial_id() == m.order().trial_id();
          });
          if (it == held.end()) continue;
          End(s, *it, v1::TRIAL_STATE_STOPPED, 0);
          held.erase(it);
        }
      }
      if (most_held) *most_held = std::max(*most_held, static_cast<int>(held.size()));
      if (held.empty()) break;
      const v1::Lease lease = pick == Pick::kFirst ? held.front() : held.back();
      if (pick == Pick::kFirst) {
        held.pop_front();
      } else {
        held.pop_back();
      }
      Run(s, lease, lr_of[lease.trial_id()]);
    }
    scheduler_->CloseSession(s);              // The next sweep's leases go to the next worker.
    clock_.Advance(absl::Milliseconds(250));  // CONTINUE decisions without a release.
    scheduler_->WaitUntilIdle();
    EXPECT_EQ(store_.GetSweep(id)->state(), v1::Sweep::STATE_DONE) << id;
    std::vector<std::string> out;
    const std::vector<v1::Decision> decisions = Decisions(id);
    for (const v1::Decision& d : decisions) {
      out.push_back(absl::StrCat(lr_of[d.trial_id()], "@", d.milestone_fraction(), ":",
                                 v1::DecisionAction_Name(d.action())));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

v1::StoppingPolicy Policy(v1::PolicyKind kind, std::vector<double> milestones, bool asynchronous) {
  v1::StoppingPolicy p;
  p.set_kind(kind);
  for (double m : milestones) p.add_milestone_fractions(m);
  p.set_keep_top(2);
  p.set_asynchronous(asynchronous);
  return p;
}

const std::vector<int> kAscending = {0, 1, 2, 3, 4, 5};
const std::vector<int> kDescending = {5, 4, 3, 2, 1, 0};
const std::vector<int> kShuffled = {3, 0, 5, 1, 4, 2};

TEST_F(SyncTest, DecisionsDependNeitherOnTheGridOrderNorOnTheLeasingOrder) {
  for (v1::PolicyKind kind : {v1::POLICY_KIND_TOP_K, v1::POLICY_KIND_MEDIAN}) {
    const v1::StoppingPolicy policy = Policy(kind, {0.2, 0.5}, /*asynchronous=*/false);
    std::vector<std::string> first;
    int run = 0;
    for (const std::vector<int>* order : {&kAscending, &kDescending, &kShuffled}) {
      for (auto [slots, pick] : {std::pair{1, Pick::kFirst}, std::pair{3, Pick::kLast}}) {
        const std::string id = absl::StrCat(v1::PolicyKind_Name(kind), "-", run++);
        CreateOrdered(id, policy, *order);
        const std::vector<std::string> decisions = RunToEnd(id, slots, pick);
        if (first.empty()) {
          first = decisions;
          EXPECT_TRUE(std::any_of(first.begin(), first.end(), [](const std::string& d) {
            return d.find("STOP") != std::string::npos;
          })) << "nothing stopped: the test shows nothing";
        } else {
          EXPECT_EQ(decisions, first) << id;
        }
      }
    }
  }
}

// policy.asynchronous: true keeps deciding each trial on arrival, against those that came
// before it: the order of the grid then changes what is stopped (top-2 at 20%, one slot).
TEST_F(SyncTest, AsynchronousDecisionsStillDependOnArrivalOrder) {
  const v1::StoppingPolicy policy = Policy(v1::POLICY_KIND_TOP_K, {0.2}, /*asynchronous=*/true);
  CreateOrdered("asc", policy, kAscending);
  const std::vector<std::string> ascending = RunToEnd("asc", 1, Pick::kFirst);
  CreateOrdered("desc", policy, kDescending);
  const std::vector<std::string> descending = RunToEnd("desc", 1, Pick::kFirst);
  EXPECT_NE(ascending, descending);
}

TEST_F(SyncTest, AWaitingTrialFreesItsSlotAndSurvivorsResumeFromTheirCheckpoints) {
  CreateOrdered("s1", Policy(v1::POLICY_KIND_TOP_K, {0.2}, false), {0, 1, 2});
  auto s = Connect("w1", 1);
  std::map<std::string, double> lr_of = LrOf("s1");
  // One slot: each trial in turn runs to 20%, checkpoints and waits, and the next is leased.
  for (int i = 0; i < 3; ++i) {
    const v1::Lease lease = Expect(*s, v1::SchedulerMessage::kLease).lease();
    EXPECT_EQ(lease.trial_id(), absl::StrCat("s1/t", i));
    EXPECT_DOUBLE_EQ(lease.run_until_fraction(), 0.2);
    EXPECT_FALSE(lease.has_resume_from());
    Run(s, lease, lr_of[lease.trial_id()]);
    scheduler_->WaitUntilIdle();
    if (i < 2) {
      EXPECT_EQ(store_.GetTrial(lease.trial_id())->state(), v1::TRIAL_STATE_WAITING);
      EXPECT_TRUE(Decisions("s1").empty()) << "decided before the group was there";
    }
  }
  // The group was decided once, all three at once: top-2 keeps t0 (3.0) and t2 (3.8), not t1
  // (4.0).
  const std::vector<v1::Decision> decisions = Decisions("s1");
  ASSERT_EQ(decisions.size(), 3u);
  std::map<std::string, v1::DecisionAction> action;
  for (const v1::Decision& d : decisions) action[d.trial_id()] = d.action();
  EXPECT_EQ(action["s1/t0"], v1::DECISION_ACTION_CONTINUE);
  EXPECT_EQ(action["s1/t1"], v1::DECISION_ACTION_STOP);
  EXPECT_EQ(action["s1/t2"], v1::DECISION_ACTION_CONTINUE);
  EXPECT_EQ(store_.GetTrial("s1/t1")->state(), v1::TRIAL_STATE_STOPPED);
  // The survivors resume from their checkpoints at 20% and run to the end (no milestone left).
  for (int i = 0; i < 2; ++i) {
    const v1::Lease lease = Expect(*s, v1::SchedulerMessage::kLease).lease();
    EXPECT_EQ(lease.resume_from().step(), 20);
    EXPECT_DOUBLE_EQ(lease.run_until_fraction(), 0);
    Run(s, lease, lr_of[lease.trial_id()]);
  }
  scheduler_->WaitUntilIdle();
  EXPECT_EQ(store_.GetSweep("s1")->state(), v1::Sweep::STATE_DONE);
  EXPECT_EQ(Decisions("s1").size(), 3u);
}

TEST_F(SyncTest, OnlyTheGroupsDecisionReleasesAWaitingTrial) {
  CreateOrdered("s1", Policy(v1::POLICY_KIND_TOP_K, {0.2}, false), {0, 1, 2});
  auto s = Connect("w1", 1);
  const v1::Lease a = Expect(*s, v1::SchedulerMessage::kLease).lease();
  Run(s, a, 0.01);
  scheduler_->WaitUntilIdle();
  ASSERT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_WAITING);
  // `augur resume` does not release it early.
  auto resumed = scheduler_->ResumeTrial(a.trial_id(), "");
  EXPECT_EQ(resumed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_WAITING);
  // A user may pause it; then the group's CONTINUE leaves it paused.
  ASSERT_TRUE(scheduler_->PauseTrial(a.trial_id(), "").ok());
  for (int i = 0; i < 2; ++i) {
    const v1::Lease l = Expect(*s, v1::SchedulerMessage::kLease).lease();
    Run(s, l, 0.02 + 0.01 * i);
  }
  scheduler_->WaitUntilIdle();
  // Decided with the others (it had reached 20%): top-2 keeps it (3.0) and t2 (3.8).
  EXPECT_EQ(Decisions("s1").size(), 3u);
  EXPECT_EQ(store_.GetTrial(a.trial_id())->state(), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(store_.GetTrial("s1/t1")->state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_NE(store_.GetTrial("s1/t2")->state(), v1::TRIAL_STATE_WAITING);
}

// Stragglers: a paused trial holds its group (a pause is temporary: a worker drain or an
// interrupted `augur run` must not change what is decided); resumed, it runs to the milestone
// and the group is decided with it.
TEST_F(SyncTest, APausedTrialHoldsItsGroupUntilItIsResumed) {
  CreateOrdered("s1", Policy(v1::POLICY_KIND_TOP_K, {0.2}, false), {0, 1, 2});
  ASSERT_TRUE(scheduler_->PauseTrial("s1/t0", "").ok());
  auto s = Connect("w1", 1);
  for (int i = 1; i < 3; ++i) {
    const v1::Lease l = Expect(*s, v1::SchedulerMessage::kLease).lease();
    Run(s, l, 0.01 * (i + 1));
  }
  for (const v1::SchedulerMessage& m : Drain(*s)) EXPECT_FALSE(m.has_lease());
  EXPECT_TRUE(Decisions("s1").empty());
  EXPECT_EQ(store_.GetTrial("s1/t1")->state(), v1::TRIAL_STATE_WAITING);
  ASSERT_TRUE(scheduler_->ResumeTrial("s1/t0", "").ok());
  const v1::Lease l = Expect(*s, v1::SchedulerMessage::kLease).lease();
  ASSERT_EQ(l.trial_id(), "s1/t0");
  EXPECT_DOUBLE_EQ(l.run_until_fraction(), 0.2);
  Run(s, l, 0.01);
  scheduler_->WaitUntilIdle();
  // Decided together: top-2 keeps t0 (3.0) and t2 (3.8), stops t1 (4.0).
  EXPECT_EQ(Decisions("s1").size(), 3u);
  EXPECT_EQ(store_.GetTrial("s1/t1")->state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_NE(store_.GetTrial("s1/t0")->state(), v1::TRIAL_STATE_WAITING);
  EXPECT_NE(store_.GetTrial("s1/t2")->state(), v1::TRIAL_STATE_WAITING);
}

// A trial that ends (here stopped by a user) drops out: the others, waiting, are decided
// without it.
TEST_F(SyncTest, ATrialThatEndsDropsOutOfItsGroup) {
  CreateOrdered("s1", Policy(v1::POLICY_KIND_TOP_K, {0.2}, false), {0, 1, 2});
  auto s = Connect("w1", 1);
  for (int i = 0; i < 2; ++i) {
    const v1::Lease l = Expect(*s, v1::SchedulerMessage::kLease).lease();
    Run(s, l, 0.01 * (i + 1));
  }
  const v1::Lease last = Expect(*s, v1::SchedulerMessage::kLease).lease();
  scheduler_->WaitUntilIdle();
  EXPECT_TRUE(Decisions("s1").empty());  // t2 runs: the group waits for it.
  ASSERT_TRUE(scheduler_->StopTrial(last.trial_id(), "").ok());
  scheduler_->WaitUntilIdle();
  EXPECT_EQ(Decisions("s1").size(), 2u);
  EXPECT_NE(store_.GetTrial("s1/t0")->state(), v1::TRIAL_STATE_WAITING);
}

// Collapse without a fitted model: the group, all at 20%, waits with its slots free until its
// reference run is complete; the reference's completion decides and releases it.
TEST_F(SyncTest, AGroupWaitsForItsReferenceRunThenIsDecided) {
  std::shared_ptr<WorkerSession> s;
  const auto leases = LeaseReferenceSweep(/*asynchronous=*/false, &s);
  EXPECT_DOUBLE_EQ(leases.at("s1/t000").run_until_fraction(), 0);  // References run through.
  Run(s, leases.at("s1/t001"), 0.02);
  Run(s, leases.at("s1/t002"), 0.03);
  scheduler_->WaitUntilIdle();
  EXPECT_TRUE(Decisions("s1").empty());
  EXPECT_EQ(store_.GetTrial("s1/t001")->state(), v1::TRIAL_STATE_WAITING);
  EXPECT_EQ(store_.GetTrial("s1/t002")->state(), v1::TRIAL_STATE_WAITING);
  Run(s, leases.at("s1/t000"), 0.01);
  scheduler_->WaitUntilIdle();
  const std::vector<v1::Decision> decisions = Decisions("s1");
  ASSERT_EQ(decisions.size(), 2u);
  for (const v1::Decision& d : decisions) EXPECT_EQ(d.policy(), v1::POLICY_KIND_COLLAPSE);
  for (const char* id : {"s1/t001", "s1/t002"}) {
    EXPECT_NE(store_.GetTrial(id)->state(), v1::TRIAL_STATE_WAITING) << id;
  }
}

// A trial that reached the milestone first may wait long for the last of its group: its
// prediction there is stored at once (and ranks it), without a decision; the group's decision
// then stores the same prediction with its action.
TEST_F(SyncTest, ATrialWaitingForItsGroupShowsItsPredictionBeforeTheGroupIsDecided) {
  std::shared_ptr<WorkerSession> s;
  const auto leases = LeaseReferenceSweep(/*asynchronous=*/false, &s);
  Run(s, leases.at("s1/t000"), 0.01);  // The reference, complete.
  Run(s, leases.at("s1/t001"), 0.02);  // Waits at 20% for t002, still running.
  scheduler_->WaitUntilIdle();
  clock_.Advance(absl::Milliseconds(250));  // Stored in a batch, as CONTINUE decisions are.
  scheduler_->WaitUntilIdle();
  EXPECT_TRUE(Decisions("s1").empty());
  const v1::Trial waiting = *store_.GetTrial("s1/t001");
  ASSERT_EQ(waiting.state(), v1::TRIAL_STATE_WAITING);
  ASSERT_TRUE(waiting.has_prediction());
  EXPECT_DOUBLE_EQ(waiting.prediction().at_fraction(), 0.2);
  EXPECT_GT(waiting.prediction().final_loss(), 0);
  EXPECT_LT(waiting.prediction().final_loss_interval().low(), waiting.prediction().final_loss());
  EXPECT_FALSE(waiting.has_last_decision());
  EXPECT_FALSE(store_.GetTrial("s1/t002")->has_prediction()) << "still short of the milestone";

  Run(s, leases.at("s1/t002"), 0.03);
  scheduler_->WaitUntilIdle();
  clock_.Advance(absl::Milliseconds(250));
  scheduler_->WaitUntilIdle();
  const std::vector<v1::Decision> decisions = Decisions("s1");
  ASSERT_EQ(decisions.size(), 2u);
  for (const v1::Decision& d : decisions) {
    if (d.trial_id() != "s1/t001") continue;
    EXPECT_DOUBLE_EQ(d.prediction().final_loss(), waiting.prediction().final_loss());
  }
  EXPECT_TRUE(store_.GetTrial("s1/t001")->has_last_decision());
}

// The same while trials of the group have not even started (a sweep larger than its workers'
// slots: the first to reach a milestone wait for the others to be leased and get there).
TEST_F(SyncTest, AWaitingTrialShowsItsPredictionWhileOthersOfItsGroupAreUnstarted) {
  v1::Sweep sweep;
  sweep.set_sweep_id("s1");
  sweep.set_state(v1::Sweep::STATE_RUNNING);
  sweep.mutable_spec()->mutable_policy()->set_kind(v1::POLICY_KIND_COLLAPSE);
  sweep.mutable_spec()->mutable_policy()->add_milestone_fractions(0.2);
  std::vector<v1::Trial> trials;
  for (int i = 0; i < 4; ++i) trials.push_back(MakeTrial("s1", i));
  trials[0].set_is_reference(true);
  ASSERT_TRUE(store_.CreateSweep(sweep, trials).ok());
  auto s = Connect("w1", 1);
  Run(s, Expect(*s, v1::SchedulerMessage::kLease).lease(), 0.01);  // t000, the reference.
  const v1::Lease first = Expect(*s, v1::SchedulerMessage::kLease).lease();
  Run(s, first, 0.02);  // Waits at 20%; the next trial takes the slot, the last is unstarted.
  scheduler_->WaitUntilIdle();
  clock_.Advance(absl::Milliseconds(250));
  scheduler_->WaitUntilIdle();
  EXPECT_TRUE(Decisions("s1").empty());
  const v1::Trial waiting = *store_.GetTrial(first.trial_id());
  ASSERT_EQ(waiting.state(), v1::TRIAL_STATE_WAITING);
  EXPECT_TRUE(waiting.has_prediction());
  EXPECT_EQ(store_.GetTrial("s1/t003")->state(), v1::TRIAL_STATE_PENDING);
}

// Previews are stored like CONTINUE decisions: a failed transaction is tried again on the clock,
// and nothing is lost.
TEST_F(SyncTest, APreviewWhoseTransactionFailedIsStoredOnTheRetry) {
  std::shared_ptr<WorkerSession> s;
  const auto leases = LeaseReferenceSweep(/*asynchronous=*/false, &s);
  Run(s, leases.at("s1/t000"), 0.01);
  scheduler_->WaitUntilIdle();
  store_.FailDecisionWrites(1);
  Run(s, leases.at("s1/t001"), 0.02);  // Waits at 20% for t002.
  scheduler_->WaitUntilIdle();
  clock_.Advance(absl::Milliseconds(250));  // The batch is due: it fails.
  scheduler_->WaitUntilIdle();
  EXPECT_EQ(store_.failed(), 1);
  EXPECT_FALSE(store_.GetTrial("s1/t001")->has_prediction());
  clock_.Advance(absl::Milliseconds(100));  // Tried again.
  scheduler_->WaitUntilIdle();
  EXPECT_TRUE(store_.GetTrial("s1/t001")->has_prediction());
  EXPECT_TRUE(Decisions("s1").empty());
}

}  // namespace
}  // namespace augur
