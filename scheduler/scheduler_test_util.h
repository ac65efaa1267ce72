// Test scaffolding for the Scheduler: an in-memory store whose commits can be held or made to
// fail, an observer that counts, and a fixture that drives the scheduler the way the gRPC
// adapter does, on a FakeClock. Nothing here waits on wall time: a test lets the scheduler
// finish its work (WaitUntilIdle) and then reads what a worker would have received.
#ifndef AUGUR_SCHEDULER_SCHEDULER_TEST_UTIL_H_
#define AUGUR_SCHEDULER_SCHEDULER_TEST_UTIL_H_

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/random.h"
#include "gtest/gtest.h"
#include "scheduler/memory_store.h"
#include "scheduler/scheduler.h"
#include "scheduler/scheduler_observer.h"

namespace augur::testing {

constexpr int64_t kSteps = 100;

// The in-memory store, whose writer commits can be held back (a stand-in for a write queue
// that is slow to drain) and whose decision batches without stops can be made to fail.
class HoldableStore : public MemoryStore {
 public:
  using MemoryStore::MemoryStore;
  // The point writer's batches (those without decisions or previews) wait while held.
  void HoldWriterCommits(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_ = hold;
  }
  // The next `n` batches of decisions (or previews) without stops fail.
  void FailDecisionWrites(int n) {
    absl::MutexLock lock(&mu_);
    fail_decision_writes_ = n;
  }
  // The point writer's next `n` batches fail as a full disk does (SQLITE_FULL).
  void FailWriterCommits(int n) {
    absl::MutexLock lock(&mu_);
    fail_writer_commits_ = n;
  }
  int failed() {
    absl::MutexLock lock(&mu_);
    return failed_;
  }
  absl::StatusOr<WriteBatchResult> ApplyBatch(const WriteBatch& batch) override {
    {
      absl::MutexLock lock(&mu_);
      const bool decider = !batch.decisions.empty() || !batch.predictions.empty();
      if (!decider)
        mu_.Await(absl::Condition(
            +[](bool* h) { return !*h; }, &hold_));
      if (decider && batch.transitions.empty() && fail_decision_writes_ > 0) {
        --fail_decision_writes_;
        ++failed_;
        return absl::UnavailableError("injected: the disk is away");
      }
      if (!decider && fail_writer_commits_ > 0) {
        --fail_writer_commits_;
        ++failed_;
        return absl::UnavailableError("database or disk is full");
      }
    }
    return MemoryStore::ApplyBatch(batch);
  }

 private:
  absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  int fail_decision_writes_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_writer_commits_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Counts what the scheduler reports.
class CountingObserver : public SchedulerObserver {
 public:
  void StopOrderQueued(absl::Duration) override {
    absl::MutexLock lock(&mu_);
    ++stop_orders_;
  }
  void TrialsSummarized(int64_t trials) override {
    absl::MutexLock lock(&mu_);
    summarized_ += trials;
  }
  int64_t stop_orders() {
    absl::MutexLock lock(&mu_);
    return stop_orders_;
  }
  int64_t summarized() {
    absl::MutexLock lock(&mu_);
    return summarized_;
  }

 private:
  absl::Mutex mu_;
  int64_t stop_orders_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t summarized_ ABSL_GUARDED_BY(mu_) = 0;
};

inline v1::Trial MakeTrial(const std::string& sweep_id, int i) {
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
  SchedulerTest() : store_(clock_) { Restart(); }

  // A new scheduler on the same store (the old one, if any, stops first).
  void Restart() {
    scheduler_.reset();
    SchedulerOptions o;
    o.lease_ttl = absl::Seconds(30);
    o.max_points_per_batch = 50;
    o.maintenance_interval = absl::Milliseconds(5);
    o.random = &random_;
    o.observer = &observer_;
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
    sweep.mutable_spec()->mutable_policy()->set_asynchronous(asynchronous_);
    std::vector<v1::Trial> ts;
    for (int i = 0; i < trials; ++i) {
      ts.push_back(MakeTrial("s1", i));
      if (i < static_cast<int>(gpus.size())) {
        ts.back().mutable_config()->mutable_resources()->set_gpus(gpus[i]);
      }
    }
    ASSERT_TRUE(store_.CreateSweep(sweep, ts).ok());
  }

  // A collapse sweep "s1" without a fitted model, of one group: t000 a reference run, t001 and
  // t002 trials, all leased to worker "w1" (3 slots), whose session goes to `session`. Returns
  // the leases by trial id.
  std::map<std::string, v1::Lease> LeaseReferenceSweep(bool asynchronous,
                                                       std::shared_ptr<WorkerSession>* session) {
    v1::Sweep sweep;
    sweep.set_sweep_id("s1");
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    sweep.mutable_spec()->mutable_policy()->set_kind(v1::POLICY_KIND_COLLAPSE);
    sweep.mutable_spec()->mutable_policy()->add_milestone_fractions(0.2);
    sweep.mutable_spec()->mutable_policy()->set_asynchronous(asynchronous);
    std::vector<v1::Trial> trials = {MakeTrial("s1", 0), MakeTrial("s1", 1), MakeTrial("s1", 2)};
    trials[0].set_is_reference(true);  // Same controls: one collapse group.
    EXPECT_TRUE(store_.CreateSweep(sweep, trials).ok());
    *session = Connect("w1", 3);
    std::map<std::string, v1::Lease> leases;
    for (int i = 0; i < 3; ++i) {
      const v1::Lease l = Expect(**session, v1::SchedulerMessage::kLease).lease();
      leases[l.trial_id()] = l;
    }
    return leases;
  }

  // Registers the worker and opens its session, saying it holds `held` (a worker reconnecting
  // with trials running) and keeps checkpoints of `kept`; the SessionAccepted is taken off the
  // session and kept in accepted_. Its `slots` are GPUs, or CPU slots for a kCpuOnly worker
  // (which reports no GPU).
  std::shared_ptr<WorkerSession> Connect(const std::string& worker, int slots,
                                         const std::vector<v1::Lease>& held = {},
                                         DeviceKind kind = DeviceKind::kGpu,
                                         const std::vector<std::string>& kept = {}) {
    v1::RegisterWorkerRequest req;
    req.set_worker_id(worker);
    if (kind == DeviceKind::kGpu) {
      req.set_gpus(slots);
      req.set_device("fake GPU");
    } else {
      req.set_cpu_slots(slots);
      req.set_device("cpu");
    }
    auto reg = scheduler_->RegisterWorker(req);
    EXPECT_TRUE(reg.ok()) << reg.status();
    v1::SessionHello hello;
    hello.set_worker_id(worker);
    hello.set_session_token(reg->session_token());
    for (const v1::Lease& l : held) {
      v1::HeldLease* h = hello.add_held_leases();
      h->set_trial_id(l.trial_id());
      h->set_fencing_token(l.fencing_token());
    }
    for (const std::string& id : kept) hello.add_kept_trials(id);
    auto s = scheduler_->OpenSession(hello);
    EXPECT_TRUE(s.ok()) << s.status();
    v1::SchedulerMessage m;
    EXPECT_TRUE((*s)->TryNext(&m));  // Queued before OpenSession returned.
    EXPECT_TRUE(m.has_accepted());
    accepted_ = m.accepted();
    return *s;
  }

  // Once the scheduler has nothing left to do: the next message of the given kind on the
  // session (others before it are kept aside), or a failure if there is none.
  v1::SchedulerMessage Expect(WorkerSession& s, v1::SchedulerMessage::KindCase kind) {
    scheduler_->WaitUntilIdle();
    v1::SchedulerMessage m;
    while (s.TryNext(&m)) {
      if (m.kind_case() == kind) return m;
      aside_.push_back(m);
    }
    ADD_FAILURE() << "no message of kind " << kind;
    return {};
  }

  // Once the scheduler has nothing left to do: every message on the session.
  std::vector<v1::SchedulerMessage> Drain(WorkerSession& s) {
    scheduler_->WaitUntilIdle();
    std::vector<v1::SchedulerMessage> out;
    v1::SchedulerMessage m;
    while (s.TryNext(&m)) out.push_back(m);
    return out;
  }

  // The next message of the given kind, for the one test whose scheduler cannot become idle (a
  // commit is held): waits for it without a deadline (a missing message hangs until the test's
  // timeout).
  v1::SchedulerMessage AwaitMessage(WorkerSession& s, v1::SchedulerMessage::KindCase kind) {
    v1::SchedulerMessage m;
    while (s.Next(&m, absl::InfiniteDuration())) {
      if (m.kind_case() == kind) return m;
      aside_.push_back(m);
    }
    ADD_FAILURE() << "session closed before a message of kind " << kind;
    return {};
  }

  // Steps from..to (at most 50: max_points_per_batch) at `tokens_per_step` tokens each.
  void SendPoints(const std::shared_ptr<WorkerSession>& s, const v1::Lease& lease, int from, int to,
                  double base_loss, int64_t seq = 1, int64_t tokens_per_step = 0) {
    v1::WorkerMessage m;
    auto* b = m.mutable_points();
    b->set_trial_id(lease.trial_id());
    b->set_fencing_token(lease.fencing_token());
    b->set_sequence(seq);
    for (int step = from; step <= to; ++step) {
      auto* p = b->add_points();
      p->set_step(step);
      p->set_tokens(tokens_per_step * step);
      p->set_fraction(static_cast<double>(step) / kSteps);
      p->set_train_loss(base_loss - 0.001 * step);
    }
    scheduler_->HandleWorkerMessage(s, m);
  }

  // The trial's stored decision at milestone m once the scheduler is idle, if any.
  // CONTINUE decisions are stored at most 250 ms (on the clock) after they are made: the clock
  // is advanced that far first.
  std::optional<v1::Decision> StoredDecision(const std::string& trial_id, double m) {
    scheduler_->WaitUntilIdle();
    clock_.Advance(absl::Milliseconds(250));
    scheduler_->WaitUntilIdle();
    auto decisions = store_.ListDecisions("s1");
    EXPECT_TRUE(decisions.ok()) << decisions.status();
    if (!decisions.ok()) return std::nullopt;
    for (const v1::Decision& d : *decisions) {
      if (d.trial_id() == trial_id && std::abs(d.milestone_fraction() - m) < 1e-9) return d;
    }
    return std::nullopt;
  }

  // CreateSweep's policy.asynchronous: the tests of decisions on arrival (written before
  // synchronous milestones became the default) keep it; scheduler_sync_test.cc does not.
  bool asynchronous_ = true;
  FakeClock clock_;
  SeededRandom random_{42};
  CountingObserver observer_;
  HoldableStore store_;
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<v1::SchedulerMessage> aside_;
  v1::SessionAccepted accepted_;  // Of the last Connect.
};

}  // namespace augur::testing

#endif  // AUGUR_SCHEDULER_SCHEDULER_TEST_UTIL_H_
