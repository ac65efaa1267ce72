// The daemon against a scripted in-process WorkerService on a real loopback port, with an
// in-process fake trainer: leases run to completion, stop orders are obeyed, a scheduler that
// goes away and comes back gets every point exactly once after the resend, and a lease the
// new scheduler no longer honours is dropped.
#include "worker/worker_daemon.h"

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

// Shared state of the fake scheduler; survives a server restart like a durable store would.
struct SchedulerState {
  absl::Mutex mu;
  std::map<std::string, std::map<int64_t, double>> points;    // trial -> step -> loss
  std::map<std::string, std::map<int64_t, int64_t>> wall_ms;  // trial -> step -> wall time
  std::map<std::string, v1::TrialEnded> ended;
  std::map<std::string, int64_t> valid_leases;  // trial -> fencing
  std::vector<v1::Lease> pending;               // Handed out on lease requests.
  std::set<int64_t> order_acks;
  int64_t stop_at_step = 0;  // Send a stop order for the first trial reaching it.
  int last_request_slots = -1;
  bool stop_sent = false;
  int sessions = 0;
  int32_t lease_timeout_ms = 5000;
  bool renew = true;             // Answer heartbeats with LeasesRenewed.
  int64_t refuse_from_step = 0;  // Refuse batches reaching this step as malformed (if > 0).
  int refused_batches = 0;
  std::vector<std::string> announce_ended;           // Sent as TrialsEnded on the next heartbeat.
  std::vector<std::vector<std::string>> hello_kept;  // Each session's hello.kept_trials.
};

class FakeScheduler final : public v1::WorkerService::Service {
 public:
  explicit FakeScheduler(SchedulerState* s) : s_(s) {}

  grpc::Status RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest*,
                              v1::RegisterWorkerResponse* resp) override {
    resp->set_session_token("token");
    resp->set_heartbeat_interval_ms(100);
    {
      absl::MutexLock lock(&s_->mu);
      resp->set_lease_timeout_ms(s_->lease_timeout_ms);
    }
    resp->set_max_points_per_batch(25);
    return grpc::Status::OK;
  }

  grpc::Status Session(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>* stream) override {
    v1::WorkerMessage in;
    if (!stream->Read(&in) || !in.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "hello first");
    }
    {
      v1::SchedulerMessage out;
      out.mutable_accepted()->set_server_unix_ms(absl::ToUnixMillis(absl::Now()));
      absl::MutexLock lock(&s_->mu);
      ++s_->sessions;
      s_->hello_kept.emplace_back(in.hello().kept_trials().begin(), in.hello().kept_trials().end());
      for (const auto& h : in.hello().held_leases()) {
        auto it = s_->valid_leases.find(h.trial_id());
        if (it != s_->valid_leases.end() && it->second == h.fencing_token()) {
          *out.mutable_accepted()->add_valid_leases() = h;
        }
      }
      stream->Write(out);
    }
    while (stream->Read(&in)) {
      std::vector<v1::SchedulerMessage> replies;
      {
        absl::MutexLock lock(&s_->mu);
        if (in.has_lease_request()) {
          s_->last_request_slots = in.lease_request().slots();
          for (int i = 0; i < in.lease_request().slots() && !s_->pending.empty(); ++i) {
            v1::SchedulerMessage m;
            *m.mutable_lease() = s_->pending.front();
            s_->valid_leases[m.lease().trial_id()] = m.lease().fencing_token();
            s_->pending.erase(s_->pending.begin());
            replies.push_back(m);
          }
        } else if (in.has_points() && s_->refuse_from_step > 0 &&
                   in.points().points(in.points().points_size() - 1).step() >=
                       s_->refuse_from_step) {
          ++s_->refused_batches;
          v1::SchedulerMessage r;
          r.mutable_rejection()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
          r.mutable_rejection()->set_message("bad loss point: lr nan");
          r.mutable_rejection()->set_trial_id(in.points().trial_id());
          replies.push_back(r);
        } else if (in.has_points()) {
          const auto& b = in.points();
          int64_t top = 0;
          for (const auto& p : b.points()) {
            EXPECT_EQ(s_->points[b.trial_id()].count(p.step()), 0u)
                << "point " << p.step() << " acknowledged twice";
            s_->points[b.trial_id()][p.step()] = p.train_loss();
            s_->wall_ms[b.trial_id()][p.step()] = p.wall_time_unix_ms();
            top = std::max(top, p.step());
          }
          v1::SchedulerMessage ack;
          ack.mutable_points_ack()->set_trial_id(b.trial_id());
          ack.mutable_points_ack()->set_durable_step(top);
          ack.mutable_points_ack()->set_sequence(b.sequence());
          replies.push_back(ack);
          if (s_->stop_at_step > 0 && !s_->stop_sent && top >= s_->stop_at_step) {
            s_->stop_sent = true;
            v1::SchedulerMessage stop;
            stop.mutable_order()->set_order_id(77);
            stop.mutable_order()->set_trial_id(b.trial_id());
            stop.mutable_order()->set_fencing_token(b.fencing_token());
            stop.mutable_order()->set_action(v1::TrialOrder::ACTION_STOP);
            replies.push_back(stop);
          }
        } else if (in.has_ended()) {
          s_->ended[in.ended().trial_id()] = in.ended();
          s_->valid_leases.erase(in.ended().trial_id());
          v1::SchedulerMessage ack;
          ack.mutable_ended_ack()->set_trial_id(in.ended().trial_id());
          ack.mutable_ended_ack()->set_fencing_token(in.ended().fencing_token());
          replies.push_back(ack);
        } else if (in.has_order_ack()) {
          s_->order_acks.insert(in.order_ack().order_id());
        } else if (in.has_heartbeat() && !s_->announce_ended.empty()) {
          v1::SchedulerMessage ended;
          for (const std::string& id : s_->announce_ended) {
            ended.mutable_trials_ended()->add_trial_ids(id);
          }
          s_->announce_ended.clear();
          replies.push_back(ended);
        } else if (in.has_heartbeat() && s_->renew) {
          v1::SchedulerMessage renewed;  // As the real scheduler: the leases still valid.
          renewed.mutable_renewed()->set_sent_unix_ms(in.heartbeat().sent_unix_ms());
          for (const auto& [id, token] : s_->valid_leases) {
            v1::HeldLease* h = renewed.mutable_renewed()->add_leases();
            h->set_trial_id(id);
            h->set_fencing_token(token);
          }
          replies.push_back(renewed);
        }
      }
      for (const auto& r : replies) {
        if (!stream->Write(r)) return grpc::Status::OK;
      }
      if (ctx->IsCancelled()) break;
    }
    return grpc::Status::OK;
  }

 private:
  SchedulerState* s_;
};

// A trainer stand-in: one point per millisecond from the resume step to total_steps. It
// records each trial's placement and checks that no device is used by two live trials.
class FakeRunner : public TrialRunner {
 public:
  // The grace of the last StopWithin (a fence), in milliseconds; -1 when none.
  inline static std::atomic<int64_t> last_stop_grace_ms{-1};
  struct Devices {
    absl::Mutex mu;
    std::map<std::string, std::vector<int>> placed;      // trial -> devices, in start order.
    std::set<int> live;                                  // Devices of trials that have not ended.
    std::map<std::string, std::set<int>> live_at_start;  // trial -> other trials' devices.
    std::vector<std::string> overlaps;                   // Trials started on a live device.
  };

  class Trial : public RunningTrial {
   public:
    Trial(v1::Lease lease, Callbacks cb) : lease_(std::move(lease)), cb_(std::move(cb)) {
      thread_ = std::thread([this] { Loop(); });
    }
    ~Trial() override {
      stop_ = true;
      thread_.join();
    }
    void Stop() override { stop_ = true; }
    void StopWithin(absl::Duration grace) override {
      last_stop_grace_ms = absl::ToInt64Milliseconds(grace);
      stop_ = true;
    }
    void Pause() override { pause_ = true; }

   private:
    void Loop() {
      const int64_t total = lease_.config().total_steps();
      int64_t step = lease_.resume_from().step();
      while (step < total) {
        if (stop_) return cb_.on_end(v1::TRIAL_STATE_STOPPED, "stop order", step);
        if (pause_) {
          v1::CheckpointCommit c;
          c.set_step(step);
          c.set_path("/tmp/fake.ckpt");
          cb_.on_checkpoint(c);
          return cb_.on_end(v1::TRIAL_STATE_PAUSED, "paused", step);
        }
        ++step;
        v1::LossPoint p;
        p.set_step(step);
        p.set_fraction(static_cast<double>(step) / total);
        p.set_train_loss(6.0 - 0.001 * step);
        cb_.on_point(p);
        absl::SleepFor(absl::Milliseconds(1));
      }
      cb_.on_end(v1::TRIAL_STATE_COMPLETED, "", step);
    }
    v1::Lease lease_;
    Callbacks cb_;
    std::atomic<bool> stop_{false}, pause_{false};
    std::thread thread_;
  };

  absl::StatusOr<std::unique_ptr<RunningTrial>> Start(const v1::Lease& lease,
                                                      const Placement& placement,
                                                      Callbacks cb) override {
    {
      absl::MutexLock lock(&devices.mu);
      devices.placed[lease.trial_id()] = placement.devices;
      devices.live_at_start[lease.trial_id()] = devices.live;
      for (int d : placement.devices) {
        if (!devices.live.insert(d).second) devices.overlaps.push_back(lease.trial_id());
      }
    }
    // The trial's devices are live until it reports its end.
    auto end = std::move(cb.on_end);
    cb.on_end = [this, end, held = placement.devices](v1::TrialState s, const std::string& m,
                                                      int64_t step) {
      {
        absl::MutexLock lock(&devices.mu);
        for (int d : held) devices.live.erase(d);
      }
      end(s, m, step);
    };
    return std::make_unique<Trial>(lease, std::move(cb));
  }

  void Discard(const std::string& trial_id) override {
    absl::MutexLock lock(&devices.mu);
    discarded.push_back(trial_id);
  }
  std::vector<std::string> Discarded() {
    absl::MutexLock lock(&devices.mu);
    return discarded;
  }

  std::vector<std::string> KeptTrials(int limit) const override {
    absl::MutexLock lock(&devices.mu);
    return {kept.begin(), kept.begin() + std::min<size_t>(limit, kept.size())};
  }

  mutable Devices devices;
  std::vector<std::string> discarded;  // Guarded by devices.mu.
  std::vector<std::string> kept;       // Guarded by devices.mu.
};

class Server {
 public:
  Server(SchedulerState* state, int port) : service_(state) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                       &port_);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
  }
  ~Server() { server_->Shutdown(std::chrono::system_clock::now()); }
  int port() const { return port_; }

 private:
  FakeScheduler service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// The test workers are CPU-only: a lease asking for `gpus` devices says CPU is acceptable
// unless `allow_cpu` is false (the CPU slots then stand in for the devices).
v1::Lease MakeLease(const std::string& id, int64_t fencing, int64_t steps, int gpus = 0,
                    bool allow_cpu = true) {
  v1::Lease l;
  l.set_trial_id(id);
  l.set_fencing_token(fencing);
  l.mutable_config()->set_total_steps(steps);
  l.mutable_config()->mutable_resources()->set_gpus(gpus);
  l.mutable_config()->mutable_resources()->set_allow_cpu(allow_cpu);
  return l;
}

// Polls `pred` (under the state's lock) until true or 30 s pass.
template <typename Pred>
bool Eventually(SchedulerState* s, Pred pred) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&s->mu);
      if (pred()) return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

struct Fixture {
  SchedulerState state;
  std::unique_ptr<Server> server;
  FakeRunner runner;
  std::unique_ptr<WorkerDaemon> daemon;
  std::thread thread;

  void Start(int cpu_slots = 1) {
    server = std::make_unique<Server>(&state, 0);
    WorkerOptions o;
    o.worker_id = "w1";
    o.cpu_slots = cpu_slots;
    o.initial_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    o.shutdown_grace = absl::Seconds(5);
    daemon = std::make_unique<WorkerDaemon>(
        o,
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                            grpc::InsecureChannelCredentials()),
        &runner);
    thread = std::thread([this] { daemon->Run(); });
  }
  ~Fixture() {
    daemon->Shutdown();
    thread.join();
  }
};

TEST(WorkerDaemon, RunsLeasesToCompletionAndReportsEveryPoint) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 1, 300), MakeLease("t2", 1, 200)};
  f.Start(/*cpu_slots=*/2);
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.size() == 2; }));
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.ended["t1"].state(), v1::TRIAL_STATE_COMPLETED);
  EXPECT_EQ(f.state.ended["t1"].last_step(), 300);
  ASSERT_EQ(f.state.points["t1"].size(), 300u);
  ASSERT_EQ(f.state.points["t2"].size(), 200u);
  EXPECT_EQ(f.state.points["t1"].begin()->first, 1);
  EXPECT_EQ(f.state.points["t1"].rbegin()->first, 300);
}

TEST(WorkerDaemon, StampsEachPointWithTheWallTimeItWasSeen) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 1, 50)};
  const int64_t before = absl::ToUnixMillis(absl::Now());
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.size() == 1; }));
  const int64_t after = absl::ToUnixMillis(absl::Now());
  absl::MutexLock lock(&f.state.mu);
  ASSERT_EQ(f.state.wall_ms["t1"].size(), 50u);
  int64_t previous = 0;
  for (const auto& [step, wall] : f.state.wall_ms["t1"]) {
    EXPECT_GE(wall, before) << "step " << step;
    EXPECT_LE(wall, after) << "step " << step;
    EXPECT_GE(wall, previous) << "step " << step << " is earlier than the step before";
    previous = wall;
  }
}

TEST(WorkerDaemon, ACpuWorkerHandsBackATrialThatAsksForGpusUnlessCpuIsAllowed) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 1, 20, /*gpus=*/1, /*allow_cpu=*/false),
                     MakeLease("t2", 1, 20, /*gpus=*/1, /*allow_cpu=*/true)};
  f.Start(/*cpu_slots=*/2);
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.size() == 2; }));
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.ended["t1"].state(), v1::TRIAL_STATE_PENDING);
  EXPECT_THAT(f.state.ended["t1"].message(), ::testing::HasSubstr("has no GPU"));
  EXPECT_EQ(f.state.points["t1"].size(), 0u) << "it never trained here";
  EXPECT_EQ(f.state.ended["t2"].state(), v1::TRIAL_STATE_COMPLETED);
  EXPECT_EQ(f.state.points["t2"].size(), 20u);
}

TEST(WorkerDaemon, ObeysAStopOrder) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 3, 100000)};
  f.state.stop_at_step = 50;
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.count("t1") == 1; }));
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.ended["t1"].state(), v1::TRIAL_STATE_STOPPED);
  EXPECT_LT(f.state.ended["t1"].last_step(), 100000);
  EXPECT_EQ(f.state.order_acks.count(77), 1u);
  // Every point up to where it stopped arrived, none beyond.
  EXPECT_EQ(static_cast<int64_t>(f.state.points["t1"].size()), f.state.ended["t1"].last_step());
}

// Trials that ended elsewhere or while waiting at a milestone: the worker discards what it kept
// of them, but not the checkpoints of a trial it runs now.
TEST(WorkerDaemon, DiscardsTrialsAnnouncedEndedUnlessItRunsThem) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 3, 100000)};
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.points["t1"].size() >= 10; }));
  {
    absl::MutexLock lock(&f.state.mu);
    f.state.announce_ended = {"s/waited", "t1"};
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (f.runner.Discarded().empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(f.runner.Discarded(), std::vector<std::string>{"s/waited"});
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.ended.count("t1"), 0u);  // Still running.
}

// A worker away when a trial ended (no TrialsEnded reached it) names the trials it keeps
// checkpoints of when it connects, except those it runs, so that the scheduler can answer.
TEST(WorkerDaemon, NamesTheTrialsItKeepsCheckpointsOfWhenItConnects) {
  Fixture f;
  {
    absl::MutexLock lock(&f.runner.devices.mu);
    f.runner.kept = {"s/a", "s/b"};
  }
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.sessions >= 1; }));
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.hello_kept.at(0), (std::vector<std::string>{"s/a", "s/b"}));
}

TEST(WorkerDaemon, ReconnectsAfterTheSchedulerRestartsAndLosesNoPoint) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 5, 1500)};
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.points["t1"].size() >= 100; }));
  const int port = f.server->port();
  f.server.reset();  // The scheduler dies; the trial keeps running on the worker.
  absl::SleepFor(absl::Milliseconds(300));
  f.server = std::make_unique<Server>(&f.state, port);
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.count("t1") == 1; }));
  absl::MutexLock lock(&f.state.mu);
  EXPECT_GE(f.state.sessions, 2);
  EXPECT_EQ(f.state.ended["t1"].state(), v1::TRIAL_STATE_COMPLETED);
  ASSERT_EQ(f.state.points["t1"].size(), 1500u);  // 1..1500, no gap (duplicates fail above).
  EXPECT_EQ(f.state.points["t1"].rbegin()->first, 1500);
}

TEST(WorkerDaemon, DropsATrialWhoseLeaseTheSchedulerNoLongerHonours) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 5, 1000000)};
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.points["t1"].size() >= 20; }));
  const int port = f.server->port();
  f.server.reset();
  {
    absl::MutexLock lock(&f.state.mu);
    f.state.valid_leases.clear();  // The lease expired while the scheduler was away.
  }
  f.server = std::make_unique<Server>(&f.state, port);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (f.daemon->running_trials() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(f.daemon->running_trials(), 0);
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.ended.count("t1"), 0u);  // A fenced-off worker reports nothing more.
}

TEST(WorkerDaemon, ShutdownPausesTrialsAndAsksForNoMoreWork) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 2, 1000000)};
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.points["t1"].size() >= 20; }));
  {
    absl::MutexLock lock(&f.state.mu);
    f.state.pending = {MakeLease("t2", 1, 100)};  // Work that must not be taken any more.
  }
  f.daemon->Shutdown();
  f.thread.join();  // Run() returns once the paused trial's end is acknowledged.
  f.thread = std::thread([] {});
  absl::MutexLock lock(&f.state.mu);
  ASSERT_EQ(f.state.ended.count("t1"), 1u);
  EXPECT_EQ(f.state.ended["t1"].state(), v1::TRIAL_STATE_PAUSED);
  EXPECT_EQ(f.state.last_request_slots, 0);
  EXPECT_EQ(f.state.points.count("t2"), 0u);
  EXPECT_EQ(f.state.pending.size(), 1u);
}

TEST(WorkerDaemon, TrialsHoldDisjointDevicesAndALeaseThatDoesNotFitIsHandedBack) {
  Fixture f;
  // One lease request for 3 slots brings all three: t1 takes devices 0 and 1, t2 takes 2, and
  // t3 (2 devices) finds none free and goes back. When t1 completes, t4 gets 0 and 1 again while
  // t2 still runs on 2.
  f.state.pending = {MakeLease("t1", 1, 500, /*gpus=*/2), MakeLease("t2", 1, 2500, /*gpus=*/1),
                     MakeLease("t3", 1, 100, /*gpus=*/2)};
  f.Start(/*cpu_slots=*/3);
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.count("t3") == 1; }));
  {
    absl::MutexLock lock(&f.state.mu);
    EXPECT_EQ(f.state.ended["t3"].state(), v1::TRIAL_STATE_PENDING);
    EXPECT_NE(f.state.ended["t3"].message().find("needs 2 devices, 0 of 3 free"), std::string::npos)
        << f.state.ended["t3"].message();
    EXPECT_EQ(f.state.points.count("t3"), 0u);  // Never started.
    f.state.pending = {MakeLease("t4", 1, 300, /*gpus=*/2)};
  }
  ASSERT_TRUE(Eventually(&f.state, [&] {
    return f.state.ended.count("t1") && f.state.ended.count("t2") && f.state.ended.count("t4");
  }));
  {
    absl::MutexLock lock(&f.state.mu);
    EXPECT_EQ(f.state.ended["t4"].state(), v1::TRIAL_STATE_COMPLETED);
  }
  {
    absl::MutexLock lock(&f.runner.devices.mu);
    EXPECT_EQ(f.runner.devices.placed["t1"], (std::vector<int>{0, 1}));
    EXPECT_EQ(f.runner.devices.placed["t2"], (std::vector<int>{2}));
    EXPECT_EQ(f.runner.devices.placed["t4"], (std::vector<int>{0, 1}));
    EXPECT_EQ(f.runner.devices.live_at_start["t4"], (std::set<int>{2}));  // t2 still ran.
    EXPECT_EQ(f.runner.devices.placed.count("t3"), 0u);
    EXPECT_TRUE(f.runner.devices.overlaps.empty());
  }
  // Everything ended: all three devices are offered again.
  EXPECT_TRUE(Eventually(&f.state, [&] { return f.state.last_request_slots == 3; }));
}

// A point the scheduler refuses as malformed is not resent for ever: the trial ends FAILED with
// the reason (before, the worker kept it and resent it after every reconnect).
TEST(WorkerDaemon, PointsRefusedAsMalformedFailTheTrialInsteadOfBeingResent) {
  Fixture f;
  f.state.pending = {MakeLease("t1", 5, 1000000)};
  f.state.refuse_from_step = 50;
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.count("t1") == 1; }));
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.ended["t1"].state(), v1::TRIAL_STATE_FAILED);
  EXPECT_NE(f.state.ended["t1"].message().find("refused its points: bad loss point"),
            std::string::npos)
      << f.state.ended["t1"].message();
  EXPECT_LE(f.state.refused_batches, 10);
}

// A worker that hears no lease renewal for FenceAfter(lease timeout) stops its trial and
// reports it PENDING, so that it is gone before the scheduler could lease it elsewhere.
TEST(WorkerDaemon, AWorkerThatHearsNoRenewalStopsItsTrialAndReportsItPending) {
  EXPECT_EQ(FenceAfter(absl::Seconds(30)), absl::Milliseconds(20500));
  EXPECT_EQ(FenceAfter(absl::Seconds(1)), absl::Milliseconds(500));
  // A fenced trial is killed if it is not gone before its lease can expire at the scheduler.
  for (int ms : {400, 1000, 3000, 8000, 30000, 600000}) {
    const absl::Duration ttl = absl::Milliseconds(ms);
    EXPECT_LE(FenceAfter(ttl) + FenceExitTime(ttl), ttl) << ms;
  }
  FakeRunner::last_stop_grace_ms = -1;
  Fixture f;
  f.state.lease_timeout_ms = 1000;
  f.state.pending = {MakeLease("t1", 5, 1000000)};
  f.Start();
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.points["t1"].size() >= 20; }));
  {
    absl::MutexLock lock(&f.state.mu);
    f.state.renew = false;  // The scheduler still takes points but renews nothing.
  }
  ASSERT_TRUE(Eventually(&f.state, [&] { return f.state.ended.count("t1") == 1; }));
  absl::MutexLock lock(&f.state.mu);
  EXPECT_EQ(f.state.ended["t1"].state(), v1::TRIAL_STATE_PENDING);
  EXPECT_NE(f.state.ended["t1"].message().find("lost contact"), std::string::npos);
  EXPECT_EQ(FakeRunner::last_stop_grace_ms, 250);  // FenceExitTime(1 s), not Stop()'s 2 s.
}

}  // namespace
}  // namespace augur
