// Outages longer than the lease, with real processes on 127.0.0.1: the scheduler killed and
// away for longer than the lease timeout, and a worker cut off from the network while another
// takes its trial. Backs docs/cluster.md's promises: trials "resume from their checkpoint", and
// a trial "never runs twice at once".
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster_helpers.h"
#include "tests/harness.h"
#include "tests/tcp_proxy.h"

namespace augur::testing {
namespace {

constexpr char kLeaseTtlMs[] = "3000";

// Before the fix, the trainers went on through the outage and deleted the checkpoint the store
// pointed at (only the 3 newest were kept): on restart each trial failed 3 times on "cannot
// open checkpoint" and ended FAILED.
TEST(Outage, TrialsResumeFromTheirCheckpointAfterASchedulerOutageLongerThanTheLease) {
  const TempDir tmp("outage");
  const std::string& dir = tmp.path();
  TrainerWatch watch;
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address,
                                  {"--lease-ttl-ms", kLeaseTtlMs, "--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = Submit(*stub, PlainSweep({0.006, 0.02})).sweep().sweep_id();
  auto a = StartWorker(address, "a", dir + "/work-a");
  auto b = StartWorker(address, "b", dir + "/work-b");
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string ids[] = {sweep_id + "/t000", sweep_id + "/t001"};
  for (const std::string& id : ids) {
    const v1::Trial t = WaitForCheckpoint(*stub, sweep_id, id);
    ASSERT_LT(t.last_point().step(), t.config().total_steps() / 2) << t.ShortDebugString();
  }

  (*scheduler)->Kill9();
  absl::SleepFor(absl::Seconds(8));  // Well past the 3 s lease; the trainers checkpoint on.
  auto restarted = StartScheduler(dir + "/augur.db", &address,
                                  {"--lease-ttl-ms", kLeaseTtlMs, "--heartbeat-ms", "250"});
  ASSERT_TRUE(restarted.ok()) << restarted.status();

  auto done = WaitForSweep(*stub, sweep_id, absl::Minutes(6));
  ASSERT_TRUE(done.ok()) << done.status();
  for (const std::string& id : ids) {
    const v1::Trial t = TrialOf(*stub, sweep_id, id);
    EXPECT_EQ(t.state(), v1::TRIAL_STATE_COMPLETED) << t.ShortDebugString();
    EXPECT_LE(watch.MostAtOnce(id), 1) << id << " ran twice at once";
  }
  ExpectUninterrupted(*stub, sweep_id, TrialOf(*stub, sweep_id, ids[0]), dir);
}

// A worker cut off from the network stops its trainer before the lease expires, so the worker
// that takes the trial next never runs it at the same time. Before the fix the cut-off
// trainer ran to the end while the new lease holder trained the same trial.
TEST(Outage, AWorkerCutOffFromTheNetworkStopsItsTrialSoThatItNeverRunsTwiceAtOnce) {
  const TempDir tmp("cut");
  const std::string& dir = tmp.path();
  TrainerWatch watch;
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address,
                                  {"--lease-ttl-ms", kLeaseTtlMs, "--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto proxy = TcpProxy::Start(address);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = Submit(*stub, PlainSweep({0.006})).sweep().sweep_id();
  const std::string id = sweep_id + "/t000";
  auto cut_off = StartWorker((*proxy)->address(), "cut-off", dir + "/work-a");
  ASSERT_TRUE(cut_off.ok());
  const v1::Trial running = WaitForCheckpoint(*stub, sweep_id, id);
  ASSERT_LT(running.last_point().step(), running.config().total_steps() / 2);
  ASSERT_EQ(watch.Running(id), 1);

  (*proxy)->Cut();
  auto rescuer = StartWorker(address, "rescuer", dir + "/work-b");
  ASSERT_TRUE(rescuer.ok());
  auto done = WaitForSweep(*stub, sweep_id, absl::Minutes(5));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial finished = TrialOf(*stub, sweep_id, id);
  EXPECT_EQ(finished.state(), v1::TRIAL_STATE_COMPLETED) << finished.ShortDebugString();
  EXPECT_GE(finished.attempts(), 2);
  EXPECT_EQ(watch.MostAtOnce(id), 1) << "the trial ran on both workers at once";
  ExpectUninterrupted(*stub, sweep_id, finished, dir);
}

}  // namespace
}  // namespace augur::testing
