// Writes from sessions that do not hold a lease, and poison points, against a real
// augur-scheduler driven by simulated workers (issue 14, items 4 and 5).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/harness.h"
#include "tests/sim_worker.h"

namespace augur::testing {
namespace {

std::string CheckpointPath(const std::string& trial_id, int64_t step) {
  std::string dir = trial_id;
  for (char& c : dir) c = c == '/' ? '_' : c;
  char name[64];
  std::snprintf(name, sizeof(name), "step-%010lld.ckpt", static_cast<long long>(step));
  return absl::StrCat("/shared/augur-work/", dir, "/checkpoints/", name);
}

// Before the fix, a worker holding no lease wrote points under a guessed token (tokens were
// 1, 2, 3, and a refusal named the current one), committed /etc/shadow as a checkpoint and
// ended another worker's trial COMPLETED.
TEST(Fencing, ASessionThatDoesNotHoldTheLeaseCannotWriteCommitOrEndIt) {
  const TempDir tmp("fencing");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = SubmitOk(*stub, NoPolicySpec(1));
  SimWorker holder(address, "holder", 1);
  ASSERT_TRUE(holder.Connect().ok());
  auto lease = holder.NextLease();
  ASSERT_TRUE(lease.has_value());
  const std::string id = lease->trial_id();
  const int64_t token = lease->fencing_token();
  EXPECT_GT(token, int64_t{1} << 20) << "a fencing token must not be guessable";
  const int64_t total = lease->config().total_steps();
  ASSERT_TRUE(holder.SendPoints(id, token, 1, 10, total));

  SimWorker intruder(address, "intruder", 1);
  ASSERT_TRUE(intruder.Connect().ok());
  // A wrong token is refused without revealing the right one.
  ASSERT_TRUE(intruder.SendPoints(id, token + 1, 11, 20, total));
  auto r = intruder.NextRejection();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(r->message().find(absl::StrCat(token)), std::string::npos) << r->message();
  // Even the right token does not make another session the lease holder.
  ASSERT_TRUE(intruder.SendPoints(id, token, 11, 20, total));
  r = intruder.NextRejection();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_NE(r->message().find("not leased to worker 'intruder'"), std::string::npos)
      << r->message();
  ASSERT_TRUE(intruder.SendCheckpoint(id, token, 10, CheckpointPath(id, 10)));
  r = intruder.NextRejection();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  ASSERT_TRUE(intruder.SendEnded(id, token, v1::TRIAL_STATE_COMPLETED));
  ASSERT_TRUE(
      intruder
          .Await([](const v1::SchedulerMessage& m) { return m.has_ended_ack(); }, absl::Seconds(20))
          .has_value());
  EXPECT_EQ(holder.Durable(id), 10);
  v1::Trial trial = TrialOf(*stub, sweep_id, id);
  EXPECT_EQ(trial.state(), v1::TRIAL_STATE_RUNNING) << trial.ShortDebugString();
  EXPECT_EQ(trial.last_point().step(), 10);
  EXPECT_EQ(trial.checkpoint_step(), 0);

  // The holder itself cannot name an arbitrary file as its checkpoint...
  for (const std::string& path :
       {std::string("/etc/shadow"), absl::StrCat(CheckpointPath(id, 10), "/../../../x.ckpt"),
        CheckpointPath(id, 11)}) {
    ASSERT_TRUE(holder.SendCheckpoint(id, token, 10, path));
    r = holder.NextRejection();
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT)) << path;
  }
  // ...but commits its own, and ends its trial.
  ASSERT_TRUE(holder.SendCheckpoint(id, token, 10, CheckpointPath(id, 10)));
  ASSERT_TRUE(holder
                  .Await([](const v1::SchedulerMessage& m) { return m.has_checkpoint_ack(); },
                         absl::Seconds(20))
                  .has_value());
  trial = TrialOf(*stub, sweep_id, id);
  EXPECT_EQ(trial.checkpoint_step(), 10);
  ASSERT_TRUE(holder.SendPoints(id, token, 11, total, total));
  ASSERT_TRUE(holder.SendEnded(id, token, v1::TRIAL_STATE_COMPLETED));
  auto done = WaitForSweep(*stub, sweep_id, absl::Seconds(30));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(TrialOf(*stub, sweep_id, id).state(), v1::TRIAL_STATE_COMPLETED);
}

// Before the fix, a NaN fraction or lr failed the whole group commit on a NOT NULL column: every
// session in the batch was cancelled with no rejection, the sender looped for ever, and steps of
// 2^62 were accepted.
TEST(Fencing, APoisonPointIsRejectedAloneAndTheOtherSessionsCarryOn) {
  const TempDir tmp("poison");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = SubmitOk(*stub, NoPolicySpec(2));
  SimWorker healthy(address, "healthy", 1), poisoner(address, "poisoner", 1);
  ASSERT_TRUE(healthy.Connect().ok());
  auto good = healthy.NextLease();
  ASSERT_TRUE(good.has_value());
  ASSERT_TRUE(poisoner.Connect().ok());
  auto bad = poisoner.NextLease();
  ASSERT_TRUE(bad.has_value());
  const int64_t total = good->config().total_steps();

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Poison {
    const char* field;
    std::function<void(v1::LossPoint&)> spoil;
  };
  const Poison poisons[] = {
      {"fraction", [&](v1::LossPoint& p) { p.set_fraction(nan); }},
      {"lr", [&](v1::LossPoint& p) { p.set_lr(nan); }},
      {"lr", [&](v1::LossPoint& p) { p.set_lr(inf); }},
      {"fraction", [&](v1::LossPoint& p) { p.set_fraction(5); }},
      {"step", [&](v1::LossPoint& p) { p.set_step(int64_t{1} << 62); }},
      {"step", [&](v1::LossPoint& p) { p.set_step(std::numeric_limits<int64_t>::max()); }},
  };
  // The healthy worker streams its whole trial while the poisoner sends one poison after another
  // (each after a valid point, so that they share the writer's batches).
  std::thread stream([&] {
    for (int64_t s = 1; s <= total; s += 10) {
      healthy.SendPoints(good->trial_id(), good->fencing_token(), s, std::min(total, s + 9), total);
    }
  });
  int64_t step = 1;
  for (const Poison& poison : poisons) {
    ASSERT_TRUE(poisoner.SendPoints(bad->trial_id(), bad->fencing_token(), step, step, total));
    v1::WorkerMessage m;
    m.mutable_points()->set_trial_id(bad->trial_id());
    m.mutable_points()->set_fencing_token(bad->fencing_token());
    v1::LossPoint* p = m.mutable_points()->add_points();
    p->set_step(step + 1);
    p->set_fraction(0.5);
    p->set_train_loss(LossAt(step + 1));
    poison.spoil(*p);
    ASSERT_TRUE(poisoner.Write(m));
    auto r = poisoner.NextRejection();
    ASSERT_TRUE(r.has_value()) << poison.field;
    EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT)) << poison.field;
    EXPECT_NE(r->message().find(poison.field), std::string::npos) << r->message();
    ++step;
  }
  stream.join();
  const int64_t valid = static_cast<int64_t>(std::size(poisons));  // Steps 1..6 went through.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while ((healthy.Durable(good->trial_id()) < total || poisoner.Durable(bad->trial_id()) < valid) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(healthy.Durable(good->trial_id()), total);
  EXPECT_FALSE(healthy.broken());
  EXPECT_FALSE(poisoner.broken());
  EXPECT_EQ(poisoner.Durable(bad->trial_id()), valid);
  const v1::Trial t = TrialOf(*stub, sweep_id, bad->trial_id());
  EXPECT_EQ(t.state(), v1::TRIAL_STATE_RUNNING) << t.ShortDebugString();
}

}  // namespace
}  // namespace augur::testing
