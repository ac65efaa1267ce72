// Store contract, part 1: sweeps, trials, the state machine, decisions, workers, events.
// Runs against every backend (store_typed_test.h).
#include <algorithm>
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
class StoreSweepTest : public StoreTest<F> {};
TYPED_TEST_SUITE(StoreSweepTest, StoreBackends);

TYPED_TEST(StoreSweepTest, CreateGetAndListTrials) {
  this->CreateSweep("s1", 3, 1);
  auto sweep = this->store().GetSweep("s1");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->state(), v1::Sweep::STATE_RUNNING);
  EXPECT_EQ(sweep->created_unix_ms(), this->clock_.NowUnixMs());
  EXPECT_EQ(sweep->spec().name(), "spec of s1");
  EXPECT_EQ(sweep->trial_counts().at("TRIAL_STATE_PENDING"), 3);
  EXPECT_EQ(sweep->tokens_full(), 2 * 100 * 1024);  // References do not count.
  EXPECT_EQ(sweep->tokens_spent(), 0);

  auto trials = this->store().ListTrials("s1");
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 3u);
  EXPECT_EQ((*trials)[0].trial_id(), "s1/t000");
  EXPECT_TRUE((*trials)[0].is_reference());
  EXPECT_EQ((*trials)[2].trial_id(), "s1/t002");
  EXPECT_DOUBLE_EQ((*trials)[2].hyperparameters().peak_lr(), 0.03);

  auto trial = this->store().GetTrial("s1/t001");
  ASSERT_TRUE(trial.ok());
  EXPECT_EQ(trial->state(), v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(trial->config().total_steps(), 100);

  EXPECT_EQ(this->store().GetSweep("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().GetTrial("s1/t999").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().ListTrials("nope").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreSweepTest, CreateSweepIsAtomicAndValidated) {
  this->CreateSweep("s1", 2);
  EXPECT_EQ(this->store().CreateSweep(MakeSweep("s1"), MakeTrials("s1", 1)).code(),
            absl::StatusCode::kAlreadyExists);
  // s2's second trial collides with an existing id: nothing of s2 may remain.
  std::vector<v1::Trial> trials = MakeTrials("s2", 2);
  trials[1].set_trial_id("s1/t000");
  trials[1].set_sweep_id("s2");
  EXPECT_EQ(this->store().CreateSweep(MakeSweep("s2"), trials).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(this->store().GetSweep("s2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().GetTrial("s2/t000").status().code(), absl::StatusCode::kNotFound);

  std::vector<v1::Trial> wrong_sweep = MakeTrials("s3", 1);
  wrong_sweep[0].set_sweep_id("other");
  EXPECT_EQ(this->store().CreateSweep(MakeSweep("s3"), wrong_sweep).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store().CreateSweep(MakeSweep("s3"), {}).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<v1::Trial> dup = MakeTrials("s3", 2);
  dup[1].set_trial_id(dup[0].trial_id());
  EXPECT_EQ(this->store().CreateSweep(MakeSweep("s3"), dup).code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StoreSweepTest, ListSweepsNewestFirstWithPaging) {
  for (int i = 1; i <= 5; ++i) {
    this->CreateSweep("s" + std::to_string(i), 1);
    this->clock_.Advance(absl::Seconds(1));
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = this->store().ListSweeps(2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->sweeps.size(), 2u);
    for (const auto& s : page->sweeps) seen.push_back(s.sweep_id());
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("s5", "s4", "s3", "s2", "s1"));
  auto all = this->store().ListSweeps(0, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->sweeps.size(), 5u);
  EXPECT_TRUE(all->next_page_token.empty());
  EXPECT_EQ(this->store().ListSweeps(2, "garbage").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StoreSweepTest, TransitionIsCompareAndSet) {
  this->CreateSweep("s1", 2);
  auto wrong_from =
      this->store().TransitionTrial("s1/t000", v1::TRIAL_STATE_PAUSED, v1::TRIAL_STATE_PENDING, "");
  EXPECT_EQ(wrong_from.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong_from.status().message(), HasSubstr("expected TRIAL_STATE_PAUSED"));
  EXPECT_EQ(this->store()
                .TransitionTrial("s1/t000", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_RUNNING, "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store()
                .TransitionTrial("s1/t000", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_COMPLETED, "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store()
                .TransitionTrial("nope", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_FAILED, "")
                .status()
                .code(),
            absl::StatusCode::kNotFound);

  auto cancelled = this->store().TransitionTrial("s1/t000", v1::TRIAL_STATE_PENDING,
                                                 v1::TRIAL_STATE_CANCELLED, "user said so");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::TRIAL_STATE_CANCELLED);
  EXPECT_EQ(cancelled->message(), "user said so");
  // Terminal: no way out.
  EXPECT_EQ(this->store()
                .TransitionTrial("s1/t000", v1::TRIAL_STATE_CANCELLED, v1::TRIAL_STATE_PENDING, "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store().GetSweep("s1")->state(), v1::Sweep::STATE_RUNNING);

  // A RUNNING trial that completes loses its lease; the last trial ending finishes the sweep.
  LeaseGrant g = this->Lease();
  auto done = this->store().TransitionTrial(g.lease.trial_id(), v1::TRIAL_STATE_RUNNING,
                                            v1::TRIAL_STATE_COMPLETED, "");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->worker_id().empty());
  auto sweep = this->store().GetSweep("s1");
  EXPECT_EQ(sweep->state(), v1::Sweep::STATE_DONE);
  EXPECT_EQ(sweep->trial_counts().at("TRIAL_STATE_COMPLETED"), 1);
  EXPECT_EQ(sweep->trial_counts().at("TRIAL_STATE_CANCELLED"), 1);
}

// Every change of a trial's state is stamped with the store's clock, and kept: the dashboard
// shows when a trial failed.
TYPED_TEST(StoreSweepTest, AStateChangeIsStampedWithTheClock) {
  this->CreateSweep("s1", 1);
  EXPECT_EQ(this->store().ListTrials("s1")->at(0).state_changed_unix_ms(), 0);  // Planned.
  this->clock_.Advance(absl::Seconds(3));
  LeaseGrant g = this->Lease();
  EXPECT_EQ(this->store().ListTrials("s1")->at(0).state_changed_unix_ms(),
            this->clock_.NowUnixMs());
  this->clock_.Advance(absl::Seconds(5));
  auto failed = this->store().TransitionTrial(g.lease.trial_id(), v1::TRIAL_STATE_RUNNING,
                                              v1::TRIAL_STATE_FAILED, "out of memory");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state_changed_unix_ms(), this->clock_.NowUnixMs());
  EXPECT_EQ(this->store().ListTrials("s1")->at(0).state_changed_unix_ms(),
            this->clock_.NowUnixMs());
}

// The sweep is DONE exactly when its last live trial (pending, running or paused) becomes
// terminal; other sweeps' trials do not count.
TYPED_TEST(StoreSweepTest, SweepIsDoneWhenNoTrialIsLive) {
  this->CreateSweep("s1", 3);
  this->CreateSweep("s2", 1);
  auto& store = this->store();
  ASSERT_TRUE(store.PauseTrial("s1/t000", "hold").ok());
  LeaseGrant g = this->Lease();
  ASSERT_EQ(g.lease.trial_id(), "s1/t001");
  ASSERT_TRUE(
      store.TransitionTrial("s1/t002", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_STOPPED, "").ok());
  ASSERT_TRUE(
      store.EndLease("s1/t001", g.lease.fencing_token(), v1::TRIAL_STATE_COMPLETED, "").ok());
  EXPECT_EQ(store.GetSweep("s1")->state(), v1::Sweep::STATE_RUNNING) << "s1/t000 is paused";
  ASSERT_TRUE(
      store.TransitionTrial("s1/t000", v1::TRIAL_STATE_PAUSED, v1::TRIAL_STATE_FAILED, "").ok());
  EXPECT_EQ(store.GetSweep("s1")->state(), v1::Sweep::STATE_DONE);
  EXPECT_EQ(store.GetSweep("s2")->state(), v1::Sweep::STATE_RUNNING);
  auto events = store.ReadEvents(0, 0);
  ASSERT_TRUE(events.ok());
  int done_events = 0;
  for (const StoreEvent& e : *events) done_events += e.kind == "sweep_done";
  EXPECT_EQ(done_events, 1);
}

TYPED_TEST(StoreSweepTest, PauseAndResume) {
  this->CreateSweep("s1", 1);
  auto paused = this->store().PauseTrial("s1/t000", "hold");
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_EQ(paused->state(), v1::TRIAL_STATE_PAUSED);
  auto none = this->store().AcquireLease("w1", absl::Seconds(30));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "a paused trial must not be leased";
  EXPECT_EQ(this->store().PauseTrial("s1/t000", "").status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto resumed = this->store().ResumeTrial("s1/t000", "go");
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->state(), v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(this->store().ResumeTrial("s1/t000", "").status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Pausing a RUNNING trial ends its lease: the old token can no longer write.
  LeaseGrant g = this->Lease();
  ASSERT_TRUE(this->store().PauseTrial("s1/t000", "").ok());
  auto write = this->store().AppendPoints(this->Write(g, Points(1, 2)));
  EXPECT_EQ(write.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store().GetLease("s1/t000")->worker_id, "");
}

TYPED_TEST(StoreSweepTest, CancelSweepCancelsOnlyLiveTrials) {
  this->CreateSweep("s1", 3);
  LeaseGrant g = this->Lease();
  ASSERT_TRUE(
      this->store()
          .EndLease(g.lease.trial_id(), g.lease.fencing_token(), v1::TRIAL_STATE_COMPLETED, "")
          .ok());
  LeaseGrant running = this->Lease();
  auto sweep = this->store().CancelSweep("s1", "abandon");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->state(), v1::Sweep::STATE_CANCELLED);
  EXPECT_EQ(sweep->trial_counts().at("TRIAL_STATE_CANCELLED"), 2);
  EXPECT_EQ(sweep->trial_counts().at("TRIAL_STATE_COMPLETED"), 1);
  EXPECT_EQ(this->store().AppendPoints(this->Write(running, Points(1, 1))).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(this->store().CancelSweep("s1", "again").ok()) << "cancelling twice is harmless";
  EXPECT_EQ(this->store().CancelSweep("nope", "").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreSweepTest, DecisionsAreKeyedByTrialAndMilestone) {
  this->CreateSweep("s1", 2);
  v1::Decision d;
  d.set_trial_id("s1/t001");
  d.set_action(v1::DECISION_ACTION_STOP);
  d.set_policy(v1::POLICY_KIND_COLLAPSE);
  d.set_milestone_fraction(0.2);
  d.set_reason("predicted 3.412 [3.40,3.43] > cutoff 3.398 (rank 2 of 2)");
  d.mutable_prediction()->set_final_loss(3.412);
  d.mutable_prediction()->mutable_final_loss_interval()->set_low(3.40);
  ASSERT_TRUE(this->store().RecordDecision(d).ok());
  EXPECT_EQ(this->store().RecordDecision(d).code(), absl::StatusCode::kAlreadyExists);
  v1::Decision later = d;
  later.set_trial_id("s1/t000");
  later.set_action(v1::DECISION_ACTION_CONTINUE);
  later.set_milestone_fraction(0.3);
  later.set_decided_unix_ms(42);
  ASSERT_TRUE(this->store().RecordDecision(later).ok());

  auto decisions = this->store().ListDecisions("s1");
  ASSERT_TRUE(decisions.ok());
  ASSERT_EQ(decisions->size(), 2u);
  EXPECT_EQ((*decisions)[0].trial_id(), "s1/t001");
  EXPECT_EQ((*decisions)[0].reason(), d.reason());
  EXPECT_EQ((*decisions)[0].decided_unix_ms(), this->clock_.NowUnixMs());
  EXPECT_DOUBLE_EQ((*decisions)[0].prediction().final_loss_interval().low(), 3.40);
  EXPECT_EQ((*decisions)[1].decided_unix_ms(), 42);
  // One trial's alone (what the dashboard's trial page reads).
  v1::Decision second = later;
  second.set_milestone_fraction(0.6);
  ASSERT_TRUE(this->store().RecordDecision(second).ok());
  auto t000 = this->store().ListTrialDecisions("s1/t000");
  ASSERT_TRUE(t000.ok()) << t000.status();
  ASSERT_EQ(t000->size(), 2u);
  EXPECT_DOUBLE_EQ((*t000)[0].milestone_fraction(), 0.3);
  EXPECT_DOUBLE_EQ((*t000)[1].milestone_fraction(), 0.6);
  EXPECT_EQ(this->store().ListTrialDecisions("s1/t001")->size(), 1u);
  EXPECT_EQ(this->store().ListTrialDecisions("s1/t999").status().code(),
            absl::StatusCode::kNotFound);

  auto trial = this->store().GetTrial("s1/t001");
  EXPECT_EQ(trial->last_decision().action(), v1::DECISION_ACTION_STOP);
  EXPECT_DOUBLE_EQ(trial->prediction().final_loss(), 3.412);

  v1::Decision unknown = d;
  unknown.set_trial_id("s1/t999");
  EXPECT_EQ(this->store().RecordDecision(unknown).code(), absl::StatusCode::kNotFound);
  v1::Decision no_action = d;
  no_action.set_action(v1::DECISION_ACTION_UNSPECIFIED);
  EXPECT_EQ(this->store().RecordDecision(no_action).code(), absl::StatusCode::kInvalidArgument);
}

// A prediction published before the decision (a trial waiting at a synchronous milestone)
// becomes the trial's prediction and ranks it, without a decision; it never replaces the
// prediction of a decision at or past its milestone, nor touches an ended trial.
TYPED_TEST(StoreSweepTest, APredictionWithoutADecisionRanksTheTrialUntilItsDecision) {
  this->CreateSweep("s1", 3);
  WriteBatch batch;
  for (const auto& [id, loss] : {std::pair{"s1/t001", 3.5}, std::pair{"s1/t002", 3.2}}) {
    PredictionWrite w;
    w.trial_id = id;
    w.prediction.set_at_fraction(0.2);
    w.prediction.set_final_loss(loss);
    batch.predictions.push_back(w);
  }
  auto result = this->store().ApplyBatch(batch);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->predictions.size(), 2u);
  EXPECT_TRUE(result->predictions[0].ok()) << result->predictions[0];
  EXPECT_TRUE(this->store().ListDecisions("s1")->empty());
  auto ranking = this->store().ReadRanking("s1", SweepSlice{});
  ASSERT_TRUE(ranking.ok()) << ranking.status();
  ASSERT_GE(ranking->trials.size(), 2u);
  EXPECT_EQ(ranking->trials[0].trial_id(), "s1/t002");  // 3.2 predicted, ahead of 3.5.
  EXPECT_EQ(ranking->trials[1].trial_id(), "s1/t001");
  EXPECT_FALSE(ranking->trials[0].has_last_decision());

  // Decided at 0.2: a late preview at 0.2 (or before) leaves the decision's prediction.
  v1::Decision d;
  d.set_trial_id("s1/t002");
  d.set_action(v1::DECISION_ACTION_CONTINUE);
  d.set_milestone_fraction(0.2);
  d.mutable_prediction()->set_at_fraction(0.2);
  d.mutable_prediction()->set_final_loss(3.25);
  ASSERT_TRUE(this->store().RecordDecision(d).ok());
  WriteBatch late;
  late.predictions.push_back(batch.predictions[1]);
  result = this->store().ApplyBatch(late);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->predictions[0].code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_DOUBLE_EQ(this->store().GetTrial("s1/t002")->prediction().final_loss(), 3.25);
  // Past it, at the next milestone, a preview is taken again.
  late.predictions[0].prediction.set_at_fraction(0.3);
  late.predictions[0].prediction.set_final_loss(3.3);
  EXPECT_TRUE(this->store().ApplyBatch(late)->predictions[0].ok());
  EXPECT_DOUBLE_EQ(this->store().GetTrial("s1/t002")->prediction().final_loss(), 3.3);
  // An ended trial keeps what it had.
  ASSERT_TRUE(
      this->store()
          .TransitionTrial("s1/t001", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_CANCELLED, "by user")
          .ok());
  WriteBatch ended;
  ended.predictions.push_back(batch.predictions[0]);
  ended.predictions[0].prediction.set_final_loss(9);
  EXPECT_EQ(this->store().ApplyBatch(ended)->predictions[0].code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_DOUBLE_EQ(this->store().GetTrial("s1/t001")->prediction().final_loss(), 3.5);
}

TYPED_TEST(StoreSweepTest, WorkersUpsertAndShowTheirLeases) {
  this->CreateSweep("s1", 2);
  v1::WorkerInfo w;
  w.set_worker_id("w1");
  w.set_hostname("h1");
  w.set_total_slots(2);
  w.add_trial_ids("ignored");
  ASSERT_TRUE(this->store().UpsertWorker(w).ok());
  w.set_free_slots(1);
  w.set_last_heartbeat_unix_ms(77);
  ASSERT_TRUE(this->store().UpsertWorker(w).ok());
  v1::WorkerInfo w2;
  w2.set_worker_id("w0");
  ASSERT_TRUE(this->store().UpsertWorker(w2).ok());
  EXPECT_EQ(this->store().UpsertWorker(v1::WorkerInfo()).code(),
            absl::StatusCode::kInvalidArgument);
  this->Lease("w1");

  auto workers = this->store().ListWorkers();
  ASSERT_TRUE(workers.ok());
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_EQ((*workers)[0].worker_id(), "w0");
  EXPECT_EQ((*workers)[1].free_slots(), 1);
  EXPECT_EQ((*workers)[1].last_heartbeat_unix_ms(), 77);
  EXPECT_THAT((*workers)[1].trial_ids(), ElementsAre("s1/t000"));
}

TYPED_TEST(StoreSweepTest, EventLogIsAppendOnlyAndOrdered) {
  this->CreateSweep("s1", 1);
  this->Lease();
  StoreEvent custom;
  custom.kind = "scheduler_started";
  custom.detail = "v0.1";
  auto seq = this->store().AppendEvent(custom);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(this->store().AppendEvent(StoreEvent()).status().code(),
            absl::StatusCode::kInvalidArgument);

  auto events = this->store().ReadEvents(0, 0);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> kinds;
  for (const auto& e : *events) kinds.push_back(e.kind);
  EXPECT_THAT(kinds, ElementsAre("sweep_created", "lease_granted", "scheduler_started"));
  EXPECT_EQ(events->back().seq, *seq);
  EXPECT_EQ(events->back().unix_ms, this->clock_.NowUnixMs());
  EXPECT_EQ((*events)[1].trial_id, "s1/t000");
  for (size_t i = 1; i < events->size(); ++i) EXPECT_GT((*events)[i].seq, (*events)[i - 1].seq);

  auto tail = this->store().ReadEvents((*events)[0].seq, 1);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].kind, "lease_granted");
}

TEST(TrialStateMachineTest, LegalEdges) {
  EXPECT_TRUE(IsLegalTransition(v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_RUNNING));
  EXPECT_TRUE(IsLegalTransition(v1::TRIAL_STATE_RUNNING, v1::TRIAL_STATE_PENDING));
  EXPECT_TRUE(IsLegalTransition(v1::TRIAL_STATE_RUNNING, v1::TRIAL_STATE_DIVERGED));
  EXPECT_TRUE(IsLegalTransition(v1::TRIAL_STATE_PAUSED, v1::TRIAL_STATE_PENDING));
  EXPECT_FALSE(IsLegalTransition(v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_COMPLETED));
  EXPECT_FALSE(IsLegalTransition(v1::TRIAL_STATE_PAUSED, v1::TRIAL_STATE_RUNNING));
  EXPECT_FALSE(IsLegalTransition(v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_PENDING));
  for (auto terminal :
       {v1::TRIAL_STATE_COMPLETED, v1::TRIAL_STATE_STOPPED, v1::TRIAL_STATE_DIVERGED,
        v1::TRIAL_STATE_FAILED, v1::TRIAL_STATE_CANCELLED}) {
    EXPECT_TRUE(IsTerminal(terminal));
    for (int to = 0; to <= 8; ++to) {
      EXPECT_FALSE(IsLegalTransition(terminal, static_cast<v1::TrialState>(to)));
    }
  }
}

}  // namespace
}  // namespace augur::testing_util
