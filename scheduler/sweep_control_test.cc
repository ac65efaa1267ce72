// SweepControl at its boundary: what a user's submit, stop, pause, resume and cancel leave in
// the store, in the curves and on the workers' sessions. Its dispatcher is never started (Wake
// only asks for a round), so every effect read here is SweepControl's own.
#include "scheduler/sweep_control.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/test_temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "predictor/model.h"
#include "scheduler/memory_store.h"
#include "scheduler/part_test_util.h"

namespace augur {
namespace {

using testing::Lease;
using testing::StoreSweep;

constexpr uint64_t kSeed = 7;

class SweepControlTest : public ::testing::Test {
 protected:
  SweepControl::Parts Parts() {
    return {&store_,      &clock_,    &random_,   &curves_, &sessions_,
            &dispatcher_, &activity_, &observer_, limits_};
  }
  // Plans `planned_` trials, or fails with `refusal_` if it is set.
  SweepPlanner Planner() {
    return [this](const v1::SweepSpec&,
                  const std::string& sweep_id) -> absl::StatusOr<std::unique_ptr<TrialStream>> {
      if (!refusal_.ok()) return refusal_;
      std::vector<v1::Trial> trials;
      for (int i = 0; i < planned_; ++i) trials.push_back(testing::MakeTrial(sweep_id, i));
      return StreamOf(std::move(trials));
    };
  }
  // s1 with `trials` trials, loaded in the curves, its first trial leased to w1. With a
  // milestone, so that the curves keep ended trials (a sweep without one drops them).
  LeaseGrant RunningSweep(int trials) {
    StoreSweep(store_, "s1",
               {.trials = trials, .kind = v1::POLICY_KIND_MEDIAN, .milestones = {0.5}});
    curves_.EnsureLoaded("s1");
    const LeaseGrant g = Lease(store_, "w1");
    curves_.Granted(g.trial, g.lease.fencing_token());
    return g;
  }
  std::shared_ptr<WorkerSession> ConnectW1() {
    return testing::Connect(sessions_, store_, "w1", 2);
  }
  std::vector<v1::TrialOrder> Orders(WorkerSession& s) {
    std::vector<v1::TrialOrder> out;
    for (const auto& m : testing::TakeAll(s, v1::SchedulerMessage::kOrder))
      out.push_back(m.order());
    return out;
  }
  v1::TrialState Stored(const std::string& trial_id) { return store_.GetTrial(trial_id)->state(); }
  v1::TrialState InCurves(const std::string& trial_id) {
    return testing::InCurves(curves_, trial_id).trial.state();
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  SeededRandom random_{kSeed};
  SessionRegistry sessions_{&random_};
  TrialCurves curves_{&store_, &clock_, [](CurveEvent) {}};
  Activity activity_{&clock_};
  Dispatcher dispatcher_{&store_, &clock_, &sessions_, &curves_, &activity_, {}};
  testing::CountingObserver observer_;
  int planned_ = 3;
  absl::Status refusal_;
  SweepLimits limits_;
  SweepControl control_{Parts(), Planner()};
};

TEST_F(SweepControlTest, SubmitNamesTheSweepFromTheClockAndStoresItsPlan) {
  clock_.Advance(absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3));  // 2023-11-14 23:15:23.
  const int64_t woken = activity_.handed();
  v1::SubmitSweepRequest req;
  req.mutable_spec()->set_name("lr");
  auto resp = control_.Submit(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  const std::string id = resp->sweep().sweep_id();
  EXPECT_THAT(id, ::testing::MatchesRegex("s-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}"));
  EXPECT_EQ(id, absl::StrFormat("s-20231114-231523-%04x", SeededRandom(kSeed).Next() & 0xffff));
  EXPECT_EQ(resp->planned_trials(), 3);
  EXPECT_EQ(resp->sweep().state(), v1::Sweep::STATE_RUNNING);
  EXPECT_EQ(resp->sweep().spec().name(), "lr");
  auto trials = store_.ListTrials(id);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 3u);
  EXPECT_EQ((*trials)[2].trial_id(), id + "/t002");
  EXPECT_GT(activity_.handed(), woken);  // Dispatch was woken: there is work.
}

TEST_F(SweepControlTest, SubmitWithoutAPlannerIsUnimplemented) {
  SweepControl bare(Parts(), nullptr);
  EXPECT_EQ(bare.Submit({}).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(store_.ListSweeps(0, "")->sweeps.empty());
}

TEST_F(SweepControlTest, APlanThatFailsStoresNothing) {
  refusal_ = absl::InvalidArgumentError("no sizes");
  EXPECT_EQ(control_.Submit({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_.ListSweeps(0, "")->sweeps.empty());
}

// A model named by path is read at submit and kept in the stored spec, so that decisions never
// open it; a FIFO there (which used to block the decision thread) is refused at once.
TEST_F(SweepControlTest, SubmitEmbedsAModelFileAndRefusesAFifo) {
  const augur::testing::TempDir tmp("sweep-control-model");
  const std::string& dir = tmp.path();
  predictor::PredictorModel model;
  model.calibrations.emplace_back();
  model.calibrations[0].schedule_key = "*";
  model.calibrations[0].error = predictor::DefaultErrorModel();
  ASSERT_TRUE(predictor::SaveModel(model, dir + "/model.json").ok());
  v1::SubmitSweepRequest req;
  req.mutable_spec()->mutable_policy()->set_model_path(dir + "/model.json");
  auto resp = control_.Submit(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->sweep().spec().policy().model_json(), predictor::ModelToJson(model));

  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0600), 0);
  req.mutable_spec()->mutable_policy()->set_model_path(dir + "/fifo");
  auto fifo = control_.Submit(req);
  EXPECT_EQ(fifo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(fifo.status().message().find("not a regular file"), std::string::npos) << fifo.status();
  req.mutable_spec()->mutable_policy()->set_model_path(dir + "/missing.json");
  EXPECT_EQ(control_.Submit(req).status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(dir + "/text.json") << "{}";
  req.mutable_spec()->mutable_policy()->set_model_path(dir + "/text.json");
  EXPECT_EQ(control_.Submit(req).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.ListSweeps(0, "")->sweeps.size(), 1u);  // Only the first was stored.
}

TEST_F(SweepControlTest, StopTrialCancelsARunningTrialAndOrdersItsWorkerToStop) {
  const LeaseGrant g = RunningSweep(2);
  auto w1 = ConnectW1();
  auto stopped = control_.StopTrial(g.trial.trial_id(), "");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state(), v1::TRIAL_STATE_CANCELLED);
  EXPECT_EQ(Stored(g.trial.trial_id()), v1::TRIAL_STATE_CANCELLED);
  EXPECT_EQ(InCurves(g.trial.trial_id()), v1::TRIAL_STATE_CANCELLED);
  const std::vector<v1::TrialOrder> orders = Orders(*w1);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].action(), v1::TrialOrder::ACTION_STOP);
  EXPECT_EQ(orders[0].trial_id(), g.trial.trial_id());
  EXPECT_EQ(orders[0].fencing_token(), g.lease.fencing_token());
  EXPECT_EQ(observer_.stop_orders(), 1);

  EXPECT_EQ(control_.StopTrial(g.trial.trial_id(), "").status().code(),
            absl::StatusCode::kFailedPrecondition);  // Already ended.
  EXPECT_TRUE(Orders(*w1).empty());
}

TEST_F(SweepControlTest, PauseOfARunningTrialNeedsItsWorkerConnected) {
  const LeaseGrant g = RunningSweep(1);
  EXPECT_EQ(control_.PauseTrial(g.trial.trial_id(), "").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Stored(g.trial.trial_id()), v1::TRIAL_STATE_RUNNING);
  auto w1 = ConnectW1();
  EXPECT_TRUE(Orders(*w1).empty());  // Nothing was kept for it.
  auto paused = control_.PauseTrial(g.trial.trial_id(), "");
  ASSERT_TRUE(paused.ok()) << paused.status();
  // The worker checkpoints first; its TrialEnded (PAUSED) ends the lease.
  EXPECT_EQ(Stored(g.trial.trial_id()), v1::TRIAL_STATE_RUNNING);
  const std::vector<v1::TrialOrder> orders = Orders(*w1);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].action(), v1::TrialOrder::ACTION_PAUSE);
  EXPECT_EQ(orders[0].fencing_token(), g.lease.fencing_token());
}

TEST_F(SweepControlTest, PauseAndResumeOfAPendingTrialChangeTheStoreAndTheCurves) {
  RunningSweep(2);
  ASSERT_TRUE(control_.PauseTrial("s1/t001", "").ok());
  EXPECT_EQ(Stored("s1/t001"), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(InCurves("s1/t001"), v1::TRIAL_STATE_PAUSED);
  const int64_t woken = activity_.handed();
  auto resumed = control_.ResumeTrial("s1/t001", "");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->state(), v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(Stored("s1/t001"), v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(InCurves("s1/t001"), v1::TRIAL_STATE_PENDING);
  EXPECT_GT(activity_.handed(), woken);  // Dispatch was woken.
  EXPECT_EQ(control_.ResumeTrial("s1/t001", "").status().code(),
            absl::StatusCode::kFailedPrecondition);  // Not paused.
}

TEST_F(SweepControlTest, CancelSweepStopsRunningTrialsAndCancelsTheRest) {
  const LeaseGrant g = RunningSweep(3);
  auto w1 = ConnectW1();
  auto sweep = control_.CancelSweep("s1", "alice", "wrong data");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->state(), v1::Sweep::STATE_CANCELLED);
  for (const std::string id : {"s1/t000", "s1/t001", "s1/t002"}) {
    EXPECT_EQ(Stored(id), v1::TRIAL_STATE_CANCELLED) << id;
    EXPECT_EQ(InCurves(id), v1::TRIAL_STATE_CANCELLED) << id;
  }
  const std::vector<v1::TrialOrder> orders = Orders(*w1);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].trial_id(), g.trial.trial_id());
  EXPECT_EQ(orders[0].action(), v1::TrialOrder::ACTION_STOP);
  EXPECT_EQ(orders[0].reason(), "cancelled by alice: wrong data");
  // Pending trials never start: nothing is left to lease.
  auto next = store_.AcquireLease("w1", absl::Seconds(30));
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  // Who did it is in the log.
  const absl::StatusOr<std::vector<StoreEvent>> events = store_.ReadEvents(0, 0);
  ASSERT_TRUE(events.ok());
  bool logged = false;
  for (size_t i = 0; i < events->size(); ++i) {
    logged |= (*events)[i].kind == "sweep_cancelled" &&
              (*events)[i].detail == "cancelled by alice: wrong data";
  }
  EXPECT_TRUE(logged);
}

TEST_F(SweepControlTest, DeleteOfARunningSweepNeedsForceWhichCancelsItFirst) {
  const LeaseGrant g = RunningSweep(3);
  auto w1 = ConnectW1();
  auto refused = control_.DeleteSweep("s1", /*force=*/false, "alice");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("--force"));
  EXPECT_EQ(Stored("s1/t000"), v1::TRIAL_STATE_RUNNING);
  EXPECT_TRUE(Orders(*w1).empty());

  auto deleted = control_.DeleteSweep("s1", /*force=*/true, "alice");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 3);
  const std::vector<v1::TrialOrder> orders = Orders(*w1);  // Its worker stops the running one.
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].trial_id(), g.trial.trial_id());
  EXPECT_EQ(store_.GetSweep("s1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(curves_.loaded_sweeps(), 0u) << "the curves forgot it";
  EXPECT_EQ(control_.DeleteSweep("s1", true, "alice").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SweepControlTest, GetSweepReturnsTheAskedSliceAndTheTotals) {
  StoreSweep(store_, "s1", {.trials = 5});
  for (int i = 0; i < 3; ++i) {
    v1::Decision d;
    d.set_trial_id(absl::StrCat("s1/t00", i));
    d.set_milestone_fraction(0.1);
    d.set_action(v1::DECISION_ACTION_CONTINUE);
    ASSERT_TRUE(store_.RecordDecision(d).ok());
  }
  auto all = control_.GetSweep("s1");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->ranking_size(), 5);
  EXPECT_EQ(all->decisions_size(), 3);
  auto page = control_.GetSweep(
      "s1", {.first_trial = 2, .max_trials = 2, .first_decision = 2, .max_decisions = 2});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->ranking_size(), 2);
  EXPECT_EQ(page->ranking(0).trial().trial_id(), all->ranking(2).trial().trial_id());
  EXPECT_EQ(page->ranking(0).rank(), 3) << "ranks are the sweep's, not the page's";
  ASSERT_EQ(page->decisions_size(), 1);
  EXPECT_EQ(page->decisions(0).trial_id(), "s1/t002");
  EXPECT_EQ(page->total_trials(), 5);
  EXPECT_EQ(page->total_decisions(), 3);
  EXPECT_EQ(control_.GetSweep("s1", {.first_trial = 9, .max_trials = 2})->ranking_size(), 0);
}

// Each page is read from the store's indexes afresh (no copy of the sweep is kept between
// pages): a change between two pages shows on the next one.
TEST_F(SweepControlTest, EachPageReadsTheStore) {
  StoreSweep(store_, "s1", {.trials = 4});
  auto page = [&](int64_t first) {
    auto r = control_.GetSweep(
        "s1", {.first_trial = first, .max_trials = 2, .first_decision = first, .max_decisions = 2});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::GetSweepResponse();
  };
  ASSERT_EQ(page(0).ranking(0).trial().state(), v1::TRIAL_STATE_PENDING);
  ASSERT_TRUE(store_.PauseTrial("s1/t003", "").ok());
  const v1::GetSweepResponse second = page(2);
  ASSERT_EQ(second.ranking_size(), 2);
  EXPECT_EQ(second.ranking(1).trial().trial_id(), "s1/t003");
  EXPECT_EQ(second.ranking(1).rank(), 4);
  EXPECT_EQ(second.ranking(1).trial().state(), v1::TRIAL_STATE_PAUSED);
}

TEST_F(SweepControlTest, SubmitRefusesASweepOverALimitNamingIt) {
  planned_ = 4;
  limits_.max_trials = 3;
  SweepControl limited(Parts(), Planner());
  auto refused = limited.Submit({});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("4 trials, more than this scheduler's limit of 3 "
                                   "(augur-scheduler --max-trials-per-sweep)"));
  EXPECT_TRUE(store_.ListSweeps(0, "")->sweeps.empty());
  limits_.max_trials = 4;
  EXPECT_TRUE(SweepControl(Parts(), Planner()).Submit({}).ok());
}

// When every trial left is running, ending them one by one before cancelling the sweep let the
// last one finish the sweep as DONE, and the cancel was refused ("sweep s1 is done"). The store
// now cancels the sweep with its trials in one call, and the orders follow.
TEST_F(SweepControlTest, CancelSweepWhoseTrialsAllRunEndsCancelled) {
  RunningSweep(1);
  auto w1 = ConnectW1();
  auto sweep = control_.CancelSweep("s1", "local", "");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->state(), v1::Sweep::STATE_CANCELLED);
  EXPECT_EQ(Stored("s1/t000"), v1::TRIAL_STATE_CANCELLED);
  EXPECT_EQ(Orders(*w1).size(), 1u);
}

TEST_F(SweepControlTest, ExecuteStoredStopsCarriesOutStopsOfLiveTrialsOnly) {
  StoreSweep(store_, "s1", {.trials = 3});
  const LeaseGrant live = Lease(store_, "w1");
  const LeaseGrant done = Lease(store_, "w1");
  const LeaseGrant going = Lease(store_, "w1");
  ASSERT_TRUE(store_
                  .EndLease(done.trial.trial_id(), done.lease.fencing_token(),
                            v1::TRIAL_STATE_COMPLETED, "")
                  .ok());
  auto decide = [&](const LeaseGrant& g, v1::DecisionAction action) {
    v1::Decision d;
    d.set_trial_id(g.trial.trial_id());
    d.set_action(action);
    d.set_milestone_fraction(0.2);
    d.set_reason("predicted worse");
    ASSERT_TRUE(store_.RecordDecision(d).ok());
  };
  decide(live, v1::DECISION_ACTION_STOP);
  decide(done, v1::DECISION_ACTION_STOP);
  decide(going, v1::DECISION_ACTION_CONTINUE);
  auto w1 = ConnectW1();
  control_.ExecuteStoredStops();
  EXPECT_EQ(Stored(live.trial.trial_id()), v1::TRIAL_STATE_STOPPED);
  EXPECT_EQ(Stored(done.trial.trial_id()), v1::TRIAL_STATE_COMPLETED);
  EXPECT_EQ(Stored(going.trial.trial_id()), v1::TRIAL_STATE_RUNNING);
  const std::vector<v1::TrialOrder> orders = Orders(*w1);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].trial_id(), live.trial.trial_id());
  EXPECT_EQ(orders[0].action(), v1::TrialOrder::ACTION_STOP);
  EXPECT_EQ(orders[0].fencing_token(), live.lease.fencing_token());
  EXPECT_EQ(orders[0].reason(), "predicted worse");
}

}  // namespace
}  // namespace augur
