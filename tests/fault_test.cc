// Faults and bad input against a real augur-scheduler process, driven by a simulated worker
// that speaks the WorkerService protocol directly (no training): kill -9 of the scheduler under
// load loses no acknowledged point and the sweep still finishes; every kind of bad input gets a
// clear status and changes nothing.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/harness.h"
#include "tests/sim_worker.h"

namespace augur::testing {
namespace {

TEST(Faults, SchedulerKill9UnderLoadLosesNoAcknowledgedPointAndTheSweepFinishes) {
  const TempDir tmp("kill-scheduler");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  const std::string sweep_id = SubmitOk(*stub, NoPolicySpec(4));

  SimWorker worker(address, "sim", 4);
  ASSERT_TRUE(worker.Connect().ok());
  std::vector<v1::Lease> leases;
  for (int i = 0; i < 4; ++i) {
    auto l = worker.NextLease();
    ASSERT_TRUE(l.has_value()) << "lease " << i;
    leases.push_back(*l);
  }
  const int64_t total = leases[0].config().total_steps();
  ASSERT_GT(total, 200);
  // Stream without waiting for acknowledgements; kill the scheduler while points are in flight.
  std::thread load([&] {
    for (int64_t from = 1; from + 9 <= total; from += 10) {
      for (const auto& l : leases) {
        if (!worker.SendPoints(l.trial_id(), l.fencing_token(), from, from + 9, total)) return;
      }
    }
  });
  while (worker.Durable(leases[3].trial_id()) < 100) absl::SleepFor(absl::Milliseconds(1));
  (*scheduler)->Kill9();
  load.join();
  const std::map<std::string, int64_t> acked = worker.AllDurable();
  worker.Close();

  // Restart on the same store: every acknowledged point is there, with its value.
  std::string address2;
  auto restarted = StartScheduler(dir + "/augur.db", &address2);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  auto stub2 = SweepStub(address2);
  auto curves = Export(*stub2, sweep_id);
  for (const auto& l : leases) {
    const int64_t durable = acked.at(l.trial_id());
    ASSERT_GE(durable, 100) << l.trial_id();
    const auto& points = curves[l.trial_id()];
    ASSERT_GE(static_cast<int64_t>(points.size()), durable) << l.trial_id();
    for (int64_t s = 1; s <= durable; ++s) {
      ASSERT_EQ(points[s - 1].step(), s);
      ASSERT_EQ(points[s - 1].train_loss(), LossAt(s));
    }
  }

  // The worker comes back with its leases, which are still valid, and finishes the trials.
  SimWorker back(address2, "sim", 4);
  std::vector<v1::HeldLease> held;
  for (const auto& l : leases) {
    v1::HeldLease h;
    h.set_trial_id(l.trial_id());
    h.set_fencing_token(l.fencing_token());
    held.push_back(h);
  }
  ASSERT_TRUE(back.Connect(held).ok());
  EXPECT_EQ(back.accepted().valid_leases_size(), 4);
  for (const auto& l : leases) {
    const int64_t from = static_cast<int64_t>(curves[l.trial_id()].size()) + 1;
    for (int64_t s = from; s <= total; s += 100) {
      ASSERT_TRUE(
          back.SendPoints(l.trial_id(), l.fencing_token(), s, std::min(total, s + 99), total));
    }
    v1::WorkerMessage end;
    end.mutable_ended()->set_trial_id(l.trial_id());
    end.mutable_ended()->set_fencing_token(l.fencing_token());
    end.mutable_ended()->set_state(v1::TRIAL_STATE_COMPLETED);
    end.mutable_ended()->set_last_step(total);
    ASSERT_TRUE(back.Write(end));
    ASSERT_TRUE(back.Await(
                        [&](const v1::SchedulerMessage& m) {
                          return m.has_ended_ack() && m.ended_ack().trial_id() == l.trial_id();
                        },
                        absl::Seconds(20))
                    .has_value());
  }
  auto done = WaitForSweep(*stub2, sweep_id, absl::Seconds(30));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->sweep().state(), v1::Sweep::STATE_DONE);
  curves = Export(*stub2, sweep_id);
  for (const auto& l : leases) {
    const auto& points = curves[l.trial_id()];
    ASSERT_EQ(static_cast<int64_t>(points.size()), total);
    for (int64_t s = 1; s <= total; ++s) ASSERT_EQ(points[s - 1].train_loss(), LossAt(s));
  }
}

TEST(Faults, BadInputGetsAClearStatusAndChangesNothing) {
  const TempDir tmp("bad-input");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address,
                                  {"--max-points-per-batch", "100", "--max-message-kb", "64"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);

  {  // A malformed spec: nothing is stored.
    v1::SweepSpec bad = NoPolicySpec(1);
    bad.clear_sizes();
    grpc::ClientContext ctx;
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = bad;
    v1::SubmitSweepResponse resp;
    const grpc::Status st = stub->SubmitSweep(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_FALSE(st.error_message().empty());
    grpc::ClientContext lctx;
    v1::ListSweepsResponse list;
    ASSERT_TRUE(stub->ListSweeps(&lctx, v1::ListSweepsRequest(), &list).ok());
    EXPECT_EQ(list.sweeps_size(), 0);
  }
  {  // Unknown sweep and trial.
    grpc::ClientContext ctx;
    v1::GetSweepRequest req;
    req.set_sweep_id("s-nope");
    v1::GetSweepResponse resp;
    EXPECT_EQ(stub->GetSweep(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
    grpc::ClientContext sctx;
    v1::TrialActionRequest stop;
    stop.set_trial_id("s-nope/t000");
    v1::TrialActionResponse sresp;
    EXPECT_EQ(stub->StopTrial(&sctx, stop, &sresp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {  // A session with a forged token.
    SimWorker forger(address, "forger", 1);
    EXPECT_EQ(forger.Connect({}, "forged-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }

  const std::string sweep_id = SubmitOk(*stub, NoPolicySpec(1));
  SimWorker worker(address, "sim", 1);
  ASSERT_TRUE(worker.Connect().ok());
  auto lease = worker.NextLease();
  ASSERT_TRUE(lease.has_value());
  const int64_t total = lease->config().total_steps();
  const std::string id = lease->trial_id();
  ASSERT_TRUE(worker.SendPoints(id, lease->fencing_token(), 1, 10, total));

  ASSERT_TRUE(worker.SendPoints(id, lease->fencing_token() + 7, 11, 20, total));
  auto r = worker.NextRejection();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(r->trial_id(), id);

  ASSERT_TRUE(worker.SendPoints("s-nope/t000", 1, 1, 5, total));
  r = worker.NextRejection();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));

  ASSERT_TRUE(worker.SendPoints(id, lease->fencing_token(), 11, 111, total));  // 101 points.
  r = worker.NextRejection();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));

  ASSERT_TRUE(worker.SendPoints(id, lease->fencing_token(), 11, 15, total, /*nan_at=*/13));
  r = worker.NextRejection();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_NE(r->message().find("diverged"), std::string::npos);
  worker.Close();

  {  // An oversized message is refused with RESOURCE_EXHAUSTED; the session stays usable.
    SimWorker big(address, "big", 1);
    ASSERT_TRUE(big.Connect().ok());
    v1::WorkerMessage m;
    m.mutable_points()->set_trial_id(std::string(100 << 10, 'x'));
    ASSERT_TRUE(big.Write(m));
    r = big.NextRejection();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
    EXPECT_NE(r->message().find("exceeds the limit"), std::string::npos);
    // The session still works: the next bad write gets its own answer.
    ASSERT_TRUE(big.SendPoints("s-nope/t001", 1, 1, 2, 10));
    r = big.NextRejection();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  }

  auto done = WaitForSweep(*stub, sweep_id, absl::Seconds(20));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial& t = done->ranking(0).trial();
  EXPECT_EQ(t.state(), v1::TRIAL_STATE_DIVERGED);
  const auto curves = Export(*stub, sweep_id);
  const auto& points = curves.at(id);
  ASSERT_EQ(points.size(), 12u);  // 1..10, then 11 and 12 before the NaN at 13.
  for (int64_t s = 1; s <= 12; ++s) EXPECT_EQ(points[s - 1].train_loss(), LossAt(s));
}

}  // namespace
}  // namespace augur::testing
