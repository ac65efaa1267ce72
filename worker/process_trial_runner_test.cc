// ProcessTrialRunner with real child processes: a shell stand-in for augur-train checks the
// command lines, environments and end-state rules of multi-rank trials quickly; the real
// augur-train (CPU, Gloo) checks that two ranks train the same curve as one and that a rank
// killed mid-run ends the trial at once instead of leaving the other hanging.
#include "worker/process_trial_runner.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What a trial reported, filled by its callbacks.
struct Recorder {
  absl::Mutex mu;
  std::vector<v1::LossPoint> points;
  std::vector<v1::CheckpointCommit> checkpoints;
  absl::Notification ended;
  v1::TrialState state = v1::TRIAL_STATE_UNSPECIFIED;
  std::string message;
  std::function<void(const v1::LossPoint&)> on_point;  // Extra hook, on the reader thread.

  TrialRunner::Callbacks Callbacks() {
    TrialRunner::Callbacks cb;
    cb.on_point = [this](const v1::LossPoint& p) {
      if (on_point) on_point(p);
      absl::MutexLock lock(&mu);
      points.push_back(p);
    };
    cb.on_checkpoint = [this](const v1::CheckpointCommit& c) {
      absl::MutexLock lock(&mu);
      checkpoints.push_back(c);
    };
    cb.on_end = [this](v1::TrialState s, const std::string& m, int64_t) {
      {
        absl::MutexLock lock(&mu);
        state = s;
        message = m;
      }
      ended.Notify();
    };
    return cb;
  }

  // Waits until at least `n` points arrived (false after `timeout`).
  bool WaitForPoints(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return points.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
};

v1::Lease LeaseFor(const std::string& id, int gpus) {
  v1::Lease l;
  l.set_trial_id(id);
  l.set_fencing_token(7);
  l.mutable_config()->mutable_resources()->set_gpus(gpus);
  return l;
}

// A stand-in trainer: records its arguments and CUDA_VISIBLE_DEVICES in <dir>/rank<R>.txt, then
// runs `body` with $rank set (-1 without --rank).
std::string FakeTrainer(const std::string& dir, const std::string& body) {
  const std::string path = dir + "/fake-train.sh";
  std::ofstream(path) << "#!/bin/sh\nall=\"$*\"\nrank=-1\n"
                      << "while [ $# -gt 0 ]; do [ \"$1\" = --rank ] && rank=$2; shift; done\n"
                      << "printf '%s\\n%s\\n' \"$all\" \"${CUDA_VISIBLE_DEVICES-unset}\" > " << dir
                      << "/rank$rank.txt\n"
                      << body << "\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

// Runner options for a test in `dir`, with FakeTrainer(dir, body) as augur-train.
ProcessRunnerOptions FakeRunner(const std::string& dir, const std::string& body) {
  ProcessRunnerOptions o;
  o.work_dir = dir + "/work";
  o.train_binary = FakeTrainer(dir, body);
  return o;
}

TEST(ProcessTrialRunner, GpuRanksEachGetTheirDeviceAndOneFreshRendezvous) {
  unsetenv("CUDA_VISIBLE_DEVICES");
  const augur::testing::TempDir tmp("ptr-gpu");
  const std::string& dir = tmp.path();
  // Both ranks print a point; only rank 0's may reach the trial.
  ProcessTrialRunner runner(FakeRunner(dir,
                                       "echo \"{\\\"event\\\":\\\"point\\\",\\\"step\\\":1,"
                                       "\\\"loss\\\":$rank}\"; exit 0"));
  Recorder r;
  Placement placement{.gpu = true, .devices = {3, 5}};
  auto trial = runner.Start(LeaseFor("s/t1", 2), placement, r.Callbacks());
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&r.mu);
  EXPECT_EQ(r.state, v1::TRIAL_STATE_COMPLETED) << r.message;
  ASSERT_EQ(r.points.size(), 1u);
  EXPECT_EQ(r.points[0].train_loss(), 0.0);  // Rank 0's.

  std::string rendezvous[2];
  for (int rank = 0; rank < 2; ++rank) {
    const std::vector<std::string> lines =
        absl::StrSplit(ReadFile(absl::StrCat(dir, "/rank", rank, ".txt")), '\n');
    ASSERT_GE(lines.size(), 2u) << rank;
    EXPECT_EQ(lines[1], rank == 0 ? "3" : "5");
    const std::vector<std::string> args = absl::StrSplit(lines[0], ' ');
    std::map<std::string, std::string> flags;
    for (size_t i = 0; i + 1 < args.size(); ++i) flags[args[i]] = args[i + 1];
    EXPECT_EQ(flags["--rank"], std::to_string(rank));
    EXPECT_EQ(flags["--world-size"], "2");
    EXPECT_EQ(flags["--checkpoint-dir"], runner.TrialDir("s/t1") + "/checkpoints");
    rendezvous[rank] = flags["--rendezvous"];
  }
  EXPECT_EQ(rendezvous[0], rendezvous[1]);
  EXPECT_EQ(fs::path(rendezvous[0]).parent_path(), fs::path(runner.TrialDir("s/t1")));
  EXPECT_FALSE(fs::exists(rendezvous[0]));  // Removed once every rank exited.
  // A GPU trial keeps its GPU count: the trainer picks NCCL from it.
  EXPECT_NE(ReadFile(runner.TrialDir("s/t1") + "/trial.yaml").find("\"gpus\": 2"),
            std::string::npos);
}

TEST(ProcessTrialRunner, OneCpuRankRunsAsBeforeWithoutRankFlagsOrDevices) {
  unsetenv("CUDA_VISIBLE_DEVICES");
  const augur::testing::TempDir tmp("ptr-cpu1");
  const std::string& dir = tmp.path();
  ProcessTrialRunner runner(FakeRunner(dir, "exit 0"));
  Recorder r;
  auto trial =
      runner.Start(LeaseFor("t", 1), Placement{.gpu = false, .devices = {1}}, r.Callbacks());
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(30)));
  const std::string recorded = ReadFile(dir + "/rank-1.txt");
  EXPECT_EQ(recorded.find("--world-size"), std::string::npos) << recorded;
  EXPECT_NE(recorded.find("\nunset\n"), std::string::npos) << recorded;
  // On a CPU worker the trainer is told it has no GPU (else it would pick NCCL).
  EXPECT_EQ(ReadFile(runner.TrialDir("t") + "/trial.yaml").find("gpus"), std::string::npos);
  Recorder unused;
  EXPECT_EQ(runner.Start(LeaseFor("t", 1), Placement{}, unused.Callbacks()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A lease that runs until a milestone: the trainer is told where to stop, and its exit there
// (5) ends the trial WAITING, with a message naming the milestone.
TEST(ProcessTrialRunner, ALeaseRunUntilAMilestoneEndsWaitingThere) {
  const augur::testing::TempDir tmp("ptr-until");
  const std::string& dir = tmp.path();
  ProcessTrialRunner runner(FakeRunner(dir, "exit 5"));
  Recorder r;
  v1::Lease lease = LeaseFor("t", 1);
  lease.set_run_until_fraction(0.2);
  auto trial = runner.Start(lease, Placement{.devices = {0}}, r.Callbacks());
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_NE(ReadFile(dir + "/rank-1.txt").find("--stop-at-fraction 0.2"), std::string::npos);
  absl::MutexLock lock(&r.mu);
  EXPECT_EQ(r.state, v1::TRIAL_STATE_WAITING);
  EXPECT_EQ(r.message, "waiting at milestone 0.2");
}

// A trial that was started here is listed by its id ('/' and all) until it is discarded; a
// folder without the id file (not made by Start) is not.
TEST(ProcessTrialRunner, KeptTrialsAreThoseWithCheckpointsOnDisk) {
  const augur::testing::TempDir tmp("ptr-kept");
  const std::string& dir = tmp.path();
  ProcessTrialRunner runner(FakeRunner(dir, "exit 5"));
  for (const std::string id : {"s_1/t001", "s_1/t002"}) {
    Recorder r;
    auto trial = runner.Start(LeaseFor(id, 1), Placement{.devices = {0}}, r.Callbacks());
    ASSERT_TRUE(trial.ok()) << trial.status();
    ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(30)));
  }
  fs::create_directories(dir + "/work/stray/checkpoints");
  std::vector<std::string> kept = runner.KeptTrials(10);
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, (std::vector<std::string>{"s_1/t001", "s_1/t002"}));
  EXPECT_EQ(runner.KeptTrials(1).size(), 1u);
  runner.Discard("s_1/t001");
  EXPECT_EQ(runner.KeptTrials(10), std::vector<std::string>{"s_1/t002"});
}

TEST(ProcessTrialRunner, TheTrialEndsInTheWorstStateOfItsRanks) {
  const augur::testing::TempDir tmp("ptr-worst");
  const std::string& dir = tmp.path();
  ProcessTrialRunner runner(FakeRunner(dir, "[ $rank = 1 ] && exit 3; sleep 0.2; exit 0"));
  Recorder r;
  auto trial = runner.Start(LeaseFor("t", 2), Placement{.devices = {0, 1}}, r.Callbacks());
  ASSERT_TRUE(trial.ok());
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&r.mu);
  EXPECT_EQ(r.state, v1::TRIAL_STATE_DIVERGED);
}

TEST(ProcessTrialRunner, AFailedRankTakesTheOthersDownAtOnce) {
  // Rank 0 stands for a rank blocked in an all-reduce whose peer died (NCCL waits forever).
  const augur::testing::TempDir tmp("ptr-failed");
  const std::string& dir = tmp.path();
  ProcessTrialRunner runner(
      FakeRunner(dir, "[ $rank = 1 ] && { echo boom >&2; exit 1; }; exec sleep 60"));
  Recorder r;
  const absl::Time start = absl::Now();
  auto trial = runner.Start(LeaseFor("t", 2), Placement{.devices = {0, 1}}, r.Callbacks());
  ASSERT_TRUE(trial.ok());
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  absl::MutexLock lock(&r.mu);
  EXPECT_EQ(r.state, v1::TRIAL_STATE_FAILED);
  EXPECT_EQ(r.message, "rank 1 of 2: augur-train exit 1: boom\n");
}

TEST(ProcessTrialRunner, ARankThatDoesNotFollowACleanExitIsKilled) {
  const augur::testing::TempDir tmp("ptr-hang");
  const std::string& dir = tmp.path();
  ProcessRunnerOptions o = FakeRunner(dir, "[ $rank = 0 ] && exit 0; exec sleep 60");
  o.rank_exit_grace = absl::Milliseconds(300);
  ProcessTrialRunner runner(o);
  Recorder r;
  auto trial = runner.Start(LeaseFor("t", 2), Placement{.devices = {0, 1}}, r.Callbacks());
  ASSERT_TRUE(trial.ok());
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::MutexLock lock(&r.mu);
  EXPECT_EQ(r.state, v1::TRIAL_STATE_FAILED);
  EXPECT_NE(r.message.find("did not follow"), std::string::npos) << r.message;
}

TEST(ProcessTrialRunner, HelpersMapExitsStatesAndDevices) {
  EXPECT_EQ(StateForExit(true, 0, false), v1::TRIAL_STATE_COMPLETED);
  EXPECT_EQ(StateForExit(true, 4, true), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(StateForExit(true, 5, false), v1::TRIAL_STATE_WAITING);
  EXPECT_EQ(StateForExit(true, 5, true), v1::TRIAL_STATE_PAUSED);  // A pause asked for wins.
  EXPECT_EQ(WorseState(v1::TRIAL_STATE_WAITING, v1::TRIAL_STATE_PAUSED), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(WorseState(v1::TRIAL_STATE_WAITING, v1::TRIAL_STATE_COMPLETED),
            v1::TRIAL_STATE_WAITING);
  EXPECT_EQ(StateForExit(false, 0, false), v1::TRIAL_STATE_FAILED);
  EXPECT_EQ(WorseState(v1::TRIAL_STATE_COMPLETED, v1::TRIAL_STATE_PAUSED), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(WorseState(v1::TRIAL_STATE_STOPPED, v1::TRIAL_STATE_PAUSED), v1::TRIAL_STATE_STOPPED);
  EXPECT_EQ(WorseState(v1::TRIAL_STATE_FAILED, v1::TRIAL_STATE_DIVERGED), v1::TRIAL_STATE_FAILED);
  EXPECT_EQ(ChildVisibleDevice(1, nullptr), "1");
  EXPECT_EQ(ChildVisibleDevice(1, ""), "1");
  EXPECT_EQ(ChildVisibleDevice(1, "2, 3"), "3");
  EXPECT_EQ(ChildVisibleDevice(0, "GPU-abc,GPU-def"), "GPU-abc");
}

// ---- The real trainer ----

// Children of this process running augur-train as rank R of `world` for the trial in `dir`.
std::map<int, pid_t> RankPids(const std::string& dir, int world) {
  std::map<int, pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != getpid()) continue;
    const std::vector<std::string> args =
        absl::StrSplit(ReadFile(absl::StrCat("/proc/", pid, "/cmdline")), '\0');
    bool ours = false;
    int rank = -1, size = 1;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--config" && args[i + 1].rfind(dir, 0) == 0) ours = true;
      if (args[i] == "--rank") rank = std::atoi(args[i + 1].c_str());
      if (args[i] == "--world-size") size = std::atoi(args[i + 1].c_str());
    }
    if (ours && size == world) found[rank] = pid;
  }
  closedir(proc);
  return found;
}

v1::Lease TinyLease(const std::string& id, int gpus, int64_t steps) {
  v1::Lease l = LeaseFor(id, gpus);
  v1::TrialConfig* c = l.mutable_config();
  c->mutable_model()->set_width(32);
  c->mutable_model()->set_depth(2);
  c->mutable_model()->set_heads(2);
  c->mutable_model()->set_context_tokens(32);
  c->mutable_model()->set_vocab_size(256);
  c->mutable_data()->set_validation_fraction(0.05);  // Default corpus (KJV).
  c->mutable_data()->set_data_seed(1);
  c->mutable_optimizer()->set_peak_lr(0.01);
  c->mutable_optimizer()->set_weight_decay(0.1);
  c->set_batch_sequences(8);
  c->set_total_steps(steps);
  c->set_eval_interval_steps(steps / 2);
  c->set_eval_sequences(8);
  c->mutable_resources()->set_cpu_threads(1);
  return l;
}

class RealTrainer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(AUGUR_TRAIN_BINARY)) GTEST_SKIP() << "no augur-train";
    if (!fs::exists("/usr/bin/bible") && std::getenv("AUGUR_CORPUS") == nullptr) {
      GTEST_SKIP() << "no corpus (Debian bible-kjv, or $AUGUR_CORPUS)";
    }
    dir_.emplace(
        absl::StrCat("ptr-", ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    options_.train_binary = AUGUR_TRAIN_BINARY;
    options_.work_dir = dir_->path();
    options_.threads_per_trial = 1;
  }
  std::optional<augur::testing::TempDir> dir_;  // Removed with the fixture.
  ProcessRunnerOptions options_;
};

TEST_F(RealTrainer, TwoRanksTrainTheCurveOfOneRank) {
  ProcessTrialRunner runner(options_);
  Recorder one;
  auto single = runner.Start(TinyLease("one", 1, 16), Placement{.devices = {0}}, one.Callbacks());
  ASSERT_TRUE(single.ok()) << single.status();
  ASSERT_TRUE(one.ended.WaitForNotificationWithTimeout(absl::Minutes(2)));

  Recorder two;
  std::map<int, pid_t> pids;  // Seen while the first point is delivered: both ranks are alive.
  two.on_point = [&](const v1::LossPoint& p) {
    if (p.step() == 1) pids = RankPids(runner.TrialDir("two"), 2);
  };
  auto both = runner.Start(TinyLease("two", 2, 16), Placement{.devices = {0, 1}}, two.Callbacks());
  ASSERT_TRUE(both.ok()) << both.status();
  ASSERT_TRUE(two.ended.WaitForNotificationWithTimeout(absl::Minutes(2)));

  absl::MutexLock lock_one(&one.mu);
  absl::MutexLock lock_two(&two.mu);
  ASSERT_EQ(one.state, v1::TRIAL_STATE_COMPLETED) << one.message;
  ASSERT_EQ(two.state, v1::TRIAL_STATE_COMPLETED) << two.message;
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_EQ(pids.count(0) + pids.count(1), 2u);
  EXPECT_NE(pids[0], pids[1]);
  ASSERT_EQ(two.points.size(), 16u);  // Rank 0's points only, once each.
  ASSERT_EQ(one.points.size(), two.points.size());
  int vals = 0;
  double worst = 0;
  for (size_t i = 0; i < one.points.size(); ++i) {
    const v1::LossPoint &a = one.points[i], &b = two.points[i];
    EXPECT_EQ(a.step(), b.step());
    worst = std::max(worst, std::abs(b.train_loss() - a.train_loss()) / a.train_loss());
    EXPECT_NEAR(b.train_loss(), a.train_loss(), 1e-4 * a.train_loss()) << "step " << a.step();
    if (a.has_val_loss()) {
      ++vals;
      ASSERT_TRUE(b.has_val_loss());
      EXPECT_NEAR(b.val_loss(), a.val_loss(), 1e-4 * a.val_loss());
    }
  }
  EXPECT_GE(vals, 1);
  std::printf("largest relative train-loss difference, 2 ranks vs 1: %.3g\n", worst);
  EXPECT_NE(one.points.front().train_loss(), one.points.back().train_loss());  // It trained.
}

TEST_F(RealTrainer, KillingOneRankFailsTheTrialPromptly) {
  ProcessTrialRunner runner(options_);
  Recorder r;
  auto trial =
      runner.Start(TinyLease("killed", 2, 100000), Placement{.devices = {0, 1}}, r.Callbacks());
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(r.WaitForPoints(3, absl::Minutes(2)));
  const std::map<int, pid_t> pids = RankPids(runner.TrialDir("killed"), 2);
  ASSERT_EQ(pids.size(), 2u);
  ASSERT_EQ(kill(pids.at(1), SIGKILL), 0);
  const absl::Time killed = absl::Now();
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(10)));
  const absl::Duration took = absl::Now() - killed;
  EXPECT_LT(took, absl::Seconds(5));
  absl::MutexLock lock(&r.mu);
  EXPECT_EQ(r.state, v1::TRIAL_STATE_FAILED);
  // Usually rank 1's kill; rank 0 may notice the dead peer first and report its own error.
  EXPECT_NE(r.message.find(" of 2: augur-train "), std::string::npos) << r.message;
  // Rank 0 is gone too (reaped before the end was reported).
  EXPECT_EQ(kill(pids.at(0), 0), -1);
  EXPECT_EQ(errno, ESRCH);
  std::printf("trial ended %.0f ms after rank 1 was killed\n", absl::ToDoubleMilliseconds(took));
}

TEST_F(RealTrainer, PauseReachesEveryRankAndRankZeroCheckpoints) {
  ProcessTrialRunner runner(options_);
  Recorder r;
  auto trial =
      runner.Start(TinyLease("paused", 2, 100000), Placement{.devices = {0, 1}}, r.Callbacks());
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(r.WaitForPoints(3, absl::Minutes(2)));
  (*trial)->Pause();
  ASSERT_TRUE(r.ended.WaitForNotificationWithTimeout(absl::Seconds(60)));
  absl::MutexLock lock(&r.mu);
  EXPECT_EQ(r.state, v1::TRIAL_STATE_PAUSED) << r.message;
  ASSERT_EQ(r.checkpoints.size(), 1u);
  EXPECT_EQ(r.checkpoints[0].step(), r.points.back().step());
  EXPECT_TRUE(fs::exists(r.checkpoints[0].path()));
  EXPECT_GT(r.checkpoints[0].size_bytes(), 0);
}

}  // namespace
}  // namespace augur
