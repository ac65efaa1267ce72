// The distributed sweep end to end with real processes on 127.0.0.1: augur-scheduler,
// augur-worker daemons and augur-train trials on the KJV corpus.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/cluster_helpers.h"
#include "tests/harness.h"

namespace augur::testing {
namespace {

TEST(Cluster, SweepRunsToCompletionAcrossThreeWorkersWithCollapseStopping) {
  const TempDir tmp("sweep");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--heartbeat-ms", "500"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  std::vector<std::unique_ptr<Proc>> workers;
  for (int i = 0; i < 3; ++i) {
    auto w = StartWorker(address, absl::StrCat("w", i), dir + "/work" + std::to_string(i));
    ASSERT_TRUE(w.ok()) << w.status();
    workers.push_back(std::move(*w));
  }
  auto spec = LoadTestSpec("tiny_sweep.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto stub = SweepStub(address);
  const v1::SubmitSweepResponse submitted = Submit(*stub, *spec);
  EXPECT_EQ(submitted.planned_trials(), 5);  // 4 learning rates + 1 collapse reference.

  auto done = WaitForSweep(*stub, submitted.sweep().sweep_id(), absl::Minutes(8));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->sweep().state(), v1::Sweep::STATE_DONE);

  int completed = 0, stopped = 0;
  std::set<std::string> workers_used;
  const auto curves = Curves(*stub, submitted.sweep().sweep_id());
  for (const v1::RankingRow& row : done->ranking()) {
    const v1::Trial& t = row.trial();
    workers_used.insert(t.worker_id());
    const auto& points = curves.at(t.trial_id());
    if (t.state() == v1::TRIAL_STATE_COMPLETED) {
      ++completed;
      ExpectContiguous(points, t.config().total_steps(), t.trial_id());
    } else {
      EXPECT_EQ(t.state(), v1::TRIAL_STATE_STOPPED) << t.ShortDebugString();
      EXPECT_FALSE(t.is_reference());
      ++stopped;
      // Stopped early: at a milestone, well before the end.
      ASSERT_FALSE(points.empty());
      EXPECT_LT(points.back().fraction(), 0.9);
    }
  }
  EXPECT_GE(stopped, 1);
  EXPECT_GE(completed, 2);  // The reference and at least the winner.
  // Every stop is explained by a stored collapse decision with a prediction.
  int collapse_stops = 0;
  for (const v1::Decision& d : done->decisions()) {
    if (d.action() != v1::DECISION_ACTION_STOP) continue;
    EXPECT_EQ(d.policy(), v1::POLICY_KIND_COLLAPSE);
    EXPECT_FALSE(d.reason().empty());
    if (d.has_prediction() && d.prediction().final_loss() > 0) ++collapse_stops;
  }
  EXPECT_EQ(collapse_stops, stopped);
  // The rank-1 trial is a completed contender.
  EXPECT_EQ(done->ranking(0).trial().state(), v1::TRIAL_STATE_COMPLETED);
  EXPECT_FALSE(done->ranking(0).trial().is_reference());
  // Every trial has ended, so no worker keeps a checkpoint (a 200-trial sweep used to leave
  // 136 MB behind): the last worker of a trial deletes its own, and workers that ran it before a
  // synchronous milestone wait, or kept it while it was stopped waiting, hear that it ended.
  int left = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((left = CountCheckpoints(dir, "")) > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(left, 0) << "checkpoints of ended trials are left in " << dir;
}

// A worker killed and started again under the same id (as `augur run` always is) gets its
// trial back at once, long before the lease would expire. Before the fix its new session
// renewed the dead process's lease for ever: the trial stayed RUNNING with no progress.
TEST(Cluster, AWorkerRestartedUnderTheSameIdGetsItsTrialBackAtOnce) {
  const TempDir tmp("same-id");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address,
                                  {"--lease-ttl-ms", "600000", "--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = Submit(*stub, PlainSweep({0.006})).sweep().sweep_id();
  auto first = StartWorker(address, "host-local", dir + "/work");
  ASSERT_TRUE(first.ok());
  ASSERT_GE(WaitForCheckpoint(*stub, sweep_id, sweep_id + "/t000").checkpoint_step(), 40);
  (*first)->Kill9();

  auto again = StartWorker(address, "host-local", dir + "/work");
  ASSERT_TRUE(again.ok());
  auto done = WaitForSweep(*stub, sweep_id, absl::Minutes(3));  // The lease lasts 10 minutes.
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial finished = done->ranking(0).trial();
  EXPECT_EQ(finished.state(), v1::TRIAL_STATE_COMPLETED);
  EXPECT_EQ(finished.attempts(), 2);
  ExpectUninterrupted(*stub, sweep_id, finished, dir);
}

TEST(Cluster, KilledWorkersTrialResumesElsewhereAndMatchesAnUninterruptedRun) {
  const TempDir tmp("kill-worker");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address,
                                  {"--lease-ttl-ms", "2000", "--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = Submit(*stub, PlainSweep({0.006})).sweep().sweep_id();

  auto a = StartWorker(address, "doomed", dir + "/work-a");
  ASSERT_TRUE(a.ok());
  // A committed checkpoint and some progress beyond it.
  ASSERT_GE(WaitForCheckpoint(*stub, sweep_id, sweep_id + "/t000").checkpoint_step(), 40);
  (*a)->Kill9();  // The worker dies; its trainer dies on the broken pipe.

  auto b = StartWorker(address, "rescuer", dir + "/work-b");
  ASSERT_TRUE(b.ok());
  auto done = WaitForSweep(*stub, sweep_id, absl::Minutes(5));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial& finished = done->ranking(0).trial();
  EXPECT_EQ(finished.state(), v1::TRIAL_STATE_COMPLETED);
  EXPECT_GE(finished.attempts(), 2);

  ExpectUninterrupted(*stub, sweep_id, finished, dir);

  // The dead worker's checkpoints of the trial outlived it; started again on the same folder
  // after the trial ended elsewhere, it hears so when it connects and deletes them.
  ASSERT_GT(CountCheckpoints(dir + "/work-a", ""), 0);
  auto again = StartWorker(address, "doomed", dir + "/work-a");
  ASSERT_TRUE(again.ok());
  int left = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((left = CountCheckpoints(dir + "/work-a", "")) > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(left, 0) << "a restarted worker kept checkpoints of a trial that ended elsewhere";
}

// A running trial ordered to pause checkpoints and leaves its slot within seconds (another
// trial takes it), and once resumed it finishes with the curve of an uninterrupted run.
TEST(Cluster, APausedTrialFreesItsSlotAndResumesBitExactly) {
  const TempDir tmp("pause");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = Submit(*stub, PlainSweep({0.006, 0.02})).sweep().sweep_id();
  auto worker = StartWorker(address, "one-slot", dir + "/work");  // One CPU slot.
  ASSERT_TRUE(worker.ok());
  const std::string paused_id = sweep_id + "/t000";
  v1::Trial trial = WaitForCheckpoint(*stub, sweep_id, paused_id);
  ASSERT_EQ(trial.state(), v1::TRIAL_STATE_RUNNING) << trial.ShortDebugString();
  ASSERT_LT(trial.last_point().step(), trial.config().total_steps() / 2);

  const absl::Time ordered = absl::Now();
  ASSERT_TRUE(TrialAction(*stub, paused_id, /*pause=*/true));
  // Paused with a checkpoint at its last step, and the other trial has the slot.
  v1::Trial other;
  while (absl::Now() < ordered + absl::Seconds(30)) {
    trial = TrialOf(*stub, sweep_id, paused_id);
    other = TrialOf(*stub, sweep_id, sweep_id + "/t001");
    if (trial.state() == v1::TRIAL_STATE_PAUSED && other.state() == v1::TRIAL_STATE_RUNNING) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration took = absl::Now() - ordered;
  ASSERT_EQ(trial.state(), v1::TRIAL_STATE_PAUSED) << trial.ShortDebugString();
  ASSERT_EQ(other.state(), v1::TRIAL_STATE_RUNNING) << other.ShortDebugString();
  EXPECT_LT(took, absl::Seconds(10)) << "the slot was freed only after " << took;
  EXPECT_LT(trial.checkpoint_step(), trial.config().total_steps());
  EXPECT_EQ(trial.checkpoint_step(), trial.last_point().step());  // Checkpointed where it stopped.

  Resume(*stub, paused_id);
  auto done = WaitForSweep(*stub, sweep_id, absl::Minutes(5));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial finished = TrialOf(*stub, sweep_id, paused_id);
  EXPECT_EQ(finished.state(), v1::TRIAL_STATE_COMPLETED);
  ExpectUninterrupted(*stub, sweep_id, finished, dir);
}

// A worker told to stop (SIGTERM, as systemd or Slurm would) pauses its trials: each
// checkpoints where it is and the worker leaves within seconds; resumed, the trial finishes on
// another worker with the curve of an uninterrupted run.
TEST(Cluster, AWorkerToldToStopPausesItsTrialAndLeavesWithinSeconds) {
  const TempDir tmp("drain");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = Submit(*stub, PlainSweep({0.006})).sweep().sweep_id();
  const std::string id = sweep_id + "/t000";
  auto a = StartWorker(address, "drained", dir + "/work-a");
  ASSERT_TRUE(a.ok());
  const v1::Trial running = WaitForCheckpoint(*stub, sweep_id, id);
  ASSERT_LT(running.last_point().step(), running.config().total_steps() / 2);

  const absl::Time told = absl::Now();
  auto exit = (*a)->Terminate(absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->exited) << exit->Describe();
  EXPECT_LT(absl::Now() - told, absl::Seconds(10));
  const v1::Trial paused = TrialOf(*stub, sweep_id, id);
  ASSERT_EQ(paused.state(), v1::TRIAL_STATE_PAUSED) << paused.ShortDebugString();
  EXPECT_LT(paused.checkpoint_step(), paused.config().total_steps());
  EXPECT_EQ(paused.checkpoint_step(), paused.last_point().step());

  Resume(*stub, id);
  auto b = StartWorker(address, "next", dir + "/work-b");
  ASSERT_TRUE(b.ok());
  auto done = WaitForSweep(*stub, sweep_id, absl::Minutes(5));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial finished = TrialOf(*stub, sweep_id, id);
  EXPECT_EQ(finished.state(), v1::TRIAL_STATE_COMPLETED);
  ExpectUninterrupted(*stub, sweep_id, finished, dir);
}

// Synchronous milestones with one slot: each trial runs to 20%, checkpoints and waits, freeing
// the slot for the next; the group of three is decided once, all together; the survivor
// resumes from its checkpoint and finishes with the curve of an uninterrupted run.
TEST(Cluster, ASynchronousGroupWaitsOnOneSlotAndItsSurvivorResumesBitExactly) {
  const TempDir tmp("sync");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  v1::SweepSpec spec = PlainSweep({0.002, 0.006, 0.02});
  spec.mutable_policy()->set_kind(v1::POLICY_KIND_TOP_K);
  spec.mutable_policy()->clear_milestone_fractions();
  spec.mutable_policy()->add_milestone_fractions(0.2);
  spec.mutable_policy()->set_keep_top(1);
  spec.mutable_policy()->set_asynchronous(false);
  const std::string sweep_id = Submit(*stub, spec).sweep().sweep_id();
  auto worker = StartWorker(address, "one-slot", dir + "/work");  // One CPU slot.
  ASSERT_TRUE(worker.ok());

  // While the group is not all at 20%, no decision is taken and a waiting trial holds no slot.
  bool waited_while_another_ran = false;
  const absl::Time deadline = absl::Now() + absl::Minutes(3);
  v1::GetSweepResponse seen;
  while (absl::Now() < deadline) {
    seen = SweepOf(*stub, sweep_id);
    int waiting = 0, running = 0;
    for (const v1::RankingRow& row : seen.ranking()) {
      waiting += row.trial().state() == v1::TRIAL_STATE_WAITING;
      running += row.trial().state() == v1::TRIAL_STATE_RUNNING;
    }
    EXPECT_LE(running, 1);
    if (waiting > 0 && running == 1 && waiting < 3) {
      waited_while_another_ran = true;
      EXPECT_EQ(seen.decisions_size(), 0) << "decided before the whole group was at 20%";
    }
    if (seen.sweep().state() != v1::Sweep::STATE_RUNNING) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(seen.sweep().state(), v1::Sweep::STATE_DONE);
  EXPECT_TRUE(waited_while_another_ran);

  // One decision per trial, all at 20% and in one round: top-1 keeps one.
  ASSERT_EQ(seen.decisions_size(), 3);
  int kept = 0;
  for (const v1::Decision& d : seen.decisions()) {
    EXPECT_DOUBLE_EQ(d.milestone_fraction(), 0.2);
    EXPECT_EQ(d.decided_unix_ms(), seen.decisions(0).decided_unix_ms());
    kept += d.action() == v1::DECISION_ACTION_CONTINUE;
  }
  EXPECT_EQ(kept, 1);
  const auto curves = Curves(*stub, sweep_id);
  v1::Trial survivor;
  for (const v1::RankingRow& row : seen.ranking()) {
    const v1::Trial& t = row.trial();
    const int64_t stop_step = (t.config().total_steps() + 4) / 5;  // ceil(0.2 x steps).
    if (t.state() == v1::TRIAL_STATE_COMPLETED) {
      survivor = t;
      continue;
    }
    EXPECT_EQ(t.state(), v1::TRIAL_STATE_STOPPED) << t.ShortDebugString();
    ExpectContiguous(curves.at(t.trial_id()), stop_step, t.trial_id());  // Never past 20%.
  }
  ASSERT_FALSE(survivor.trial_id().empty());
  EXPECT_EQ(survivor.attempts(), 2);  // To 20%, then from its checkpoint to the end.
  ExpectUninterrupted(*stub, sweep_id, survivor, dir);
}

// Cancelling a sweep (augur stop SWEEP) stops its running trial within seconds — the worker's
// slot is free again — and none of its pending trials ever starts.
TEST(Cluster, ACancelledSweepStopsItsRunningTrialWithinSecondsAndStartsNoOther) {
  const TempDir tmp("cancel");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  // Long trials (~6,000 steps), so that one left running would hold the slot for a minute.
  v1::SweepSpec spec = PlainSweep({0.006, 0.02, 0.06});
  spec.set_tokens_per_param(60);
  const std::string sweep_id = Submit(*stub, spec).sweep().sweep_id();
  auto worker = StartWorker(address, "one-slot", dir + "/work");  // One CPU slot.
  ASSERT_TRUE(worker.ok());
  const v1::Trial running = WaitForCheckpoint(*stub, sweep_id, sweep_id + "/t000");
  ASSERT_EQ(running.state(), v1::TRIAL_STATE_RUNNING) << running.ShortDebugString();
  ASSERT_LT(running.last_point().step(), running.config().total_steps() / 10);

  const absl::Time ordered = absl::Now();
  {
    grpc::ClientContext ctx;
    v1::CancelSweepRequest req;
    req.set_sweep_id(sweep_id);
    v1::CancelSweepResponse resp;
    const grpc::Status st = stub->CancelSweep(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.sweep().state(), v1::Sweep::STATE_CANCELLED);
  }
  // The worker's heartbeat reports its slot free once the trainer has stopped.
  int free_slots = 0;
  while (absl::Now() < ordered + absl::Seconds(30) && free_slots != 1) {
    grpc::ClientContext ctx;
    v1::ListWorkersResponse workers;
    ASSERT_TRUE(stub->ListWorkers(&ctx, v1::ListWorkersRequest(), &workers).ok());
    free_slots = workers.workers_size() == 1 ? workers.workers(0).free_slots() : 0;
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration took = absl::Now() - ordered;
  EXPECT_EQ(free_slots, 1);
  EXPECT_LT(took, absl::Seconds(10)) << "the running trial stopped only after " << took;
  // Another two heartbeats: nothing was leased in the meantime.
  absl::SleepFor(absl::Seconds(1));
  for (const char* t : {"/t000", "/t001", "/t002"}) {
    const v1::Trial trial = TrialOf(*stub, sweep_id, sweep_id + t);
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_CANCELLED) << t;
    if (std::string(t) != "/t000") {
      EXPECT_EQ(trial.attempts(), 0) << t << " started after the cancel";
      EXPECT_EQ(trial.last_point().step(), 0) << t;
    }
  }
}

}  // namespace
}  // namespace augur::testing
