// Multi-host tests on one machine (issue 17): a scheduler host and three worker hosts in their
// own network namespaces (tests/netns.h), talking gRPC over TLS with mutual TLS for the workers
// and bearer tokens, as on a cluster. Real augur-train runs. Skipped, with the reason, where
// namespaces cannot be made (not root, or a container that refuses them); CI runs as root.
#include "tests/netns.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/client_auth.h"
#include "gtest/gtest.h"
#include "scheduler/token_table.h"
#include "tests/cluster_helpers.h"
#include "tests/harness.h"

namespace augur::testing {
namespace {

constexpr int kLeaseTtlMs = 3000;

class Netns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = NetnsCluster::WhyUnavailable(); !why.empty()) {
      GTEST_SKIP() << "multi-host tests skipped: " << why;
    }
    dir_ = tmp_.path();
    auto cluster = NetnsCluster::Create(3);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    address_ = cluster_->Address("scheduler") + ":7070";
    const std::string certs = Shell(absl::StrCat(AUGUR_BINARY, " certs ", dir_, "/tls --host ",
                                                 cluster_->Address("scheduler")));
    ASSERT_EQ(certs, "") << certs;
    std::ofstream(dir_ + "/tokens") << "admin sha256:" << TokenDigestHex("adm1n") << " root\n"
                                    << "worker sha256:" << TokenDigestHex("w0rker") << " nodes\n";
    std::ofstream(dir_ + "/worker-token") << "w0rker\n";
    ClientSecurity admin;
    admin.token = "adm1n";
    admin.tls.ca_file = dir_ + "/tls/ca.crt";
    auto channel = SchedulerChannel(address_, admin);
    ASSERT_TRUE(channel.ok()) << channel.status();
    stub_ = v1::SweepService::NewStub(*channel);
  }

  // Runs a command to its end; "" on success, else its output.
  static std::string Shell(const std::string& command) {
    const TempDir tmp("netns-shell");
    const std::string out = tmp.File("out");
    const int rc = std::system(absl::StrCat(command, " > ", out, " 2>&1").c_str());
    std::stringstream s;
    s << std::ifstream(out).rdbuf();
    return rc == 0 ? "" : s.str();
  }

  // `binary args` on `host`, its stderr (the log) merged into the lines Proc keeps.
  absl::StatusOr<std::unique_ptr<Proc>> StartOn(const std::string& host, const std::string& binary,
                                                std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", "exec \"$0\" \"$@\" 2>&1", binary});
    return Proc::Start(cluster_->ip_binary(), cluster_->On(host, "/bin/sh", args));
  }

  absl::StatusOr<std::unique_ptr<Proc>> StartScheduler() {
    const std::string tls = dir_ + "/tls/";
    auto p = StartOn(
        "scheduler", FindBinaries().scheduler,
        {"--listen", address_, "--db", dir_ + "/augur.db", "--tls-cert", tls + "scheduler.crt",
         "--tls-key", tls + "scheduler.key", "--tls-client-ca", tls + "ca.crt", "--tokens-file",
         dir_ + "/tokens", "--lease-ttl-ms", absl::StrCat(kLeaseTtlMs), "--heartbeat-ms", "250"});
    if (!p.ok()) return p.status();
    auto line = (*p)->WaitForLine("listening on ", absl::Seconds(30));
    if (!line.ok()) return line.status();
    return p;
  }

  void StartWorkers() {
    const std::string tls = dir_ + "/tls/";
    for (int i = 1; i <= 3; ++i) {
      const std::string host = absl::StrCat("worker", i);
      auto w = StartOn(host, FindBinaries().worker,
                       {"--scheduler",
                        address_,
                        "--worker-id",
                        host,
                        "--work-dir",
                        dir_ + "/work-" + host,
                        "--gpus",
                        "0",
                        "--cpu-slots",
                        "1",
                        "--threads-per-trial",
                        "1",
                        "--train-binary",
                        FindBinaries().trainer,
                        "--token-file",
                        dir_ + "/worker-token",
                        "--tls-ca",
                        tls + "ca.crt",
                        "--tls-cert",
                        tls + "worker.crt",
                        "--tls-key",
                        tls + "worker.key"});
      ASSERT_TRUE(w.ok()) << w.status();
      workers_[host] = std::move(*w);
    }
  }

  const TempDir tmp_{"netns"};  // Removed after the processes below end.
  std::string dir_, address_;
  std::unique_ptr<NetnsCluster> cluster_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
  std::map<std::string, std::unique_ptr<Proc>> workers_;
};

// A worker host cut off mid-trial: its lease expires, the trial resumes from its checkpoint on
// another host, and when the host is back its stale lease and writes are refused. The trial's
// curve is every step once and equals an uninterrupted run's bit for bit.
TEST_F(Netns, ACutOffWorkerHostLosesItsLeaseItsTrialResumesElsewhereAndItsStaleWritesAreRefused) {
  TrainerWatch watch;
  auto scheduler = StartScheduler();
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  const std::string sweep_id = Submit(*stub_, PlainSweep({0.006, 0.02})).sweep().sweep_id();
  ASSERT_FALSE(sweep_id.empty());
  StartWorkers();
  const std::string id = sweep_id + "/t000";
  const v1::Trial running = WaitForCheckpoint(*stub_, sweep_id, id);
  const std::string victim = running.worker_id();
  ASSERT_TRUE(workers_.count(victim)) << running.ShortDebugString();

  const absl::Time cut = absl::Now();
  ASSERT_TRUE(cluster_->Cut(victim).ok());
  absl::Time expired = absl::InfiniteFuture(), requeued = absl::InfiniteFuture();
  while (absl::Now() < cut + absl::Seconds(90) && requeued == absl::InfiniteFuture()) {
    const v1::Trial t = TrialOf(*stub_, sweep_id, id);
    const bool moved = t.state() != v1::TRIAL_STATE_RUNNING || t.worker_id() != victim;
    if (moved && expired == absl::InfiniteFuture()) expired = absl::Now();
    if (t.state() == v1::TRIAL_STATE_RUNNING && t.worker_id() != victim) requeued = absl::Now();
    absl::SleepFor(absl::Milliseconds(20));  // Polling interval, not a wait for an outcome.
  }
  ASSERT_NE(requeued, absl::InfiniteFuture()) << "the trial never ran elsewhere";
  std::printf(
      "[netns] %s cut off; lease expiry seen after %lld ms (lease TTL %d ms), trial "
      "running on another host after %lld ms\n",
      victim.c_str(), static_cast<long long>(absl::ToInt64Milliseconds(expired - cut)), kLeaseTtlMs,
      static_cast<long long>(absl::ToInt64Milliseconds(requeued - cut)));
  EXPECT_GE(expired - cut, absl::Milliseconds(kLeaseTtlMs - 500));  // Not before the lease ends.

  ASSERT_TRUE(cluster_->Heal(victim).ok());
  // Back on the network, the host still holds the old lease and the writes queued under it:
  // the scheduler must refuse them (write_rejected), or the lease at the reconnect (lease_lost).
  std::string refused;
  const absl::Time healed = absl::Now();
  while (refused.empty() && absl::Now() < healed + absl::Seconds(60)) {
    for (const std::string& line : workers_[victim]->lines()) {
      if (absl::StrContains(line, absl::StrCat("trial=", id)) &&
          (absl::StrContains(line, "write_rejected") || absl::StrContains(line, "lease_lost"))) {
        refused = line;
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_FALSE(refused.empty()) << "the healed host was never told its lease was gone";
  std::printf("[netns] healed host, %lld ms later: %s\n",
              static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - healed)),
              refused.c_str());

  auto done = WaitForSweep(*stub_, sweep_id, absl::Minutes(6));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial finished = TrialOf(*stub_, sweep_id, id);
  EXPECT_EQ(finished.state(), v1::TRIAL_STATE_COMPLETED) << finished.ShortDebugString();
  EXPECT_GE(finished.attempts(), 2);
  EXPECT_EQ(watch.MostAtOnce(id), 1) << "the trial ran on two hosts at once";
  ExpectUninterrupted(*stub_, sweep_id, finished, dir_);
  ExpectUninterrupted(*stub_, sweep_id, TrialOf(*stub_, sweep_id, sweep_id + "/t001"), dir_);
}

// The scheduler host goes down (network and process, kill -9) mid-sweep and comes back on the
// same store: every point acknowledged before is still there, unchanged, and the sweep ends as
// an undisturbed run would (each curve equal to an uninterrupted run's bit for bit).
TEST_F(Netns, TheSchedulerHostRestartsAndNothingAcknowledgedIsLost) {
  TrainerWatch watch;
  auto scheduler = StartScheduler();
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  // Trials long enough to outlast the outage: the tiny sweep's ~490 steps can end within a
  // second of the cut on an idle machine, before the workers fence them (FenceAfter: 1.5 s at
  // this TTL); both trials then COMPLETE under their still-valid leases, nothing is left to
  // resume, and the wait below ran out its 90 s.
  v1::SweepSpec spec = PlainSweep({0.006, 0.02});
  spec.set_tokens_per_param(spec.tokens_per_param() * 4);
  const std::string sweep_id = Submit(*stub_, spec).sweep().sweep_id();
  StartWorkers();
  const std::string ids[] = {sweep_id + "/t000", sweep_id + "/t001"};
  for (const std::string& id : ids) WaitForCheckpoint(*stub_, sweep_id, id);
  const CurveMap acknowledged = Curves(*stub_, sweep_id);

  const absl::Time down = absl::Now();
  ASSERT_TRUE(cluster_->Cut("scheduler").ok());
  (*scheduler)->Kill9();
  // Down until every worker has stopped its trainer for want of lease renewals.
  while ((watch.Running(ids[0]) > 0 || watch.Running(ids[1]) > 0) &&
         absl::Now() < down + absl::Seconds(60)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(watch.Running(ids[0]) + watch.Running(ids[1]), 0) << "trainers ran on, unleased";
  ASSERT_TRUE(cluster_->Heal("scheduler").ok());
  const absl::Time up = absl::Now();
  auto restarted = StartScheduler();
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  absl::Time resumed = absl::InfiniteFuture();
  while (absl::Now() < up + absl::Seconds(90) && resumed == absl::InfiniteFuture()) {
    if (watch.Running(ids[0]) + watch.Running(ids[1]) > 0) resumed = absl::Now();
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::printf(
      "[netns] scheduler host down for %lld ms; first trainer running again %lld ms "
      "after it came back\n",
      static_cast<long long>(absl::ToInt64Milliseconds(up - down)),
      static_cast<long long>(absl::ToInt64Milliseconds(resumed - up)));

  auto done = WaitForSweep(*stub_, sweep_id, absl::Minutes(6));
  ASSERT_TRUE(done.ok()) << done.status();
  const CurveMap after = Curves(*stub_, sweep_id);
  for (const auto& [id, points] : acknowledged) {
    ASSERT_TRUE(after.count(id)) << id;
    std::map<int64_t, double> kept;
    for (const v1::LossPoint& p : after.at(id)) kept[p.step()] = p.train_loss();
    for (const v1::LossPoint& p : points) {
      ASSERT_TRUE(kept.count(p.step())) << id << " lost acknowledged step " << p.step();
      EXPECT_EQ(kept[p.step()], p.train_loss()) << id << " step " << p.step();
    }
  }
  for (const std::string& id : ids) {
    const v1::Trial t = TrialOf(*stub_, sweep_id, id);
    EXPECT_EQ(t.state(), v1::TRIAL_STATE_COMPLETED) << t.ShortDebugString();
    EXPECT_LE(watch.MostAtOnce(id), 1) << id << " ran twice at once";
    ExpectUninterrupted(*stub_, sweep_id, t, dir_);
  }
}

}  // namespace
}  // namespace augur::testing
