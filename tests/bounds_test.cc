// Bounds on what workers can make the real scheduler hold (issue 14, item 6): sessions beyond
// --max-sessions are refused and leave no threads behind, and a client that sends and never
// reads does not grow the scheduler's memory (it grew from 25 MB to 620 MB).
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/harness.h"
#include "tests/sim_worker.h"

namespace augur::testing {
namespace {

// A field of /proc/PID/status ("Threads", "VmRSS" in kB), or -1.
int64_t ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    int64_t v = -1;
    return absl::SimpleAtoi(digits, &v) ? v : -1;
  }
  return -1;
}

TEST(Bounds, SessionsBeyondTheCapAreRefusedAndLeaveNoThreads) {
  const TempDir tmp("bounds-sessions");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--max-sessions", "4"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  std::vector<std::unique_ptr<SimWorker>> admitted;
  for (int i = 0; i < 4; ++i) {
    admitted.push_back(std::make_unique<SimWorker>(address, absl::StrCat("w", i), 1));
    ASSERT_TRUE(admitted.back()->Connect().ok());
  }
  const int64_t threads = ProcStatus((*scheduler)->pid(), "Threads");
  for (int i = 0; i < 100; ++i) {
    SimWorker extra(address, absl::StrCat("extra", i), 1);
    const grpc::Status st = extra.Connect();
    ASSERT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
    EXPECT_NE(st.error_message().find("at most 4 worker sessions"), std::string::npos)
        << st.error_message();
  }
  // gRPC's own pool may add a few; a thread per refused session would add 100 or more.
  EXPECT_LT(ProcStatus((*scheduler)->pid(), "Threads"), threads + 16);
  // A worker of the four reconnecting replaces its own session.
  admitted[0]->Close();
  SimWorker again(address, "w0", 1);
  EXPECT_TRUE(again.Connect().ok());
}

// 20 s of heartbeats whose answers are never read (over 100,000 of them here).
TEST(Bounds, AClientThatNeverReadsDoesNotGrowTheScheduler) {
  const TempDir tmp("bounds-reader");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--max-queued-messages", "2000"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = WorkerStub(address);
  grpc::ClientContext rctx;
  v1::RegisterWorkerRequest req;
  req.set_worker_id("mute");
  req.set_cpu_slots(1);
  v1::RegisterWorkerResponse reg;
  ASSERT_TRUE(stub->RegisterWorker(&rctx, req, &reg).ok());
  // The answers pile up in gRPC's flow-control windows and then in the session's queue, which
  // --max-queued-messages bounds (the session is closed past it).
  grpc::ClientContext ctx;
  auto stream = stub->Session(&ctx);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id("mute");
  hello.mutable_hello()->set_session_token(reg.session_token());
  ASSERT_TRUE(stream->Write(hello));
  const int64_t rss_before = ProcStatus((*scheduler)->pid(), "VmRSS");
  // Every heartbeat is answered (LeasesRenewed); none of the answers is read.
  v1::WorkerMessage beat;
  beat.mutable_heartbeat()->set_free_slots(1);
  int64_t sent = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  bool cut = false;
  while (absl::Now() < deadline && !(cut = !stream->Write(beat))) ++sent;
  const int64_t rss_after = ProcStatus((*scheduler)->pid(), "VmRSS");
  ctx.TryCancel();
  stream->Finish();
  std::printf("%s after %lld heartbeats; scheduler RSS %lld kB -> %lld kB\n",
              cut ? "cut off" : "still connected", static_cast<long long>(sent),
              static_cast<long long>(rss_before), static_cast<long long>(rss_after));
  EXPECT_GT(sent, 10'000);
  EXPECT_LT(rss_after - rss_before, 64 * 1024) << "the scheduler grew by more than 64 MB";
}

// A FIFO named as the policy's model: it used to block the single decision thread (another
// sweep's stop waited 20 s). Now the path is read once at submit, regular files only.
TEST(Bounds, AFifoNamedAsTheModelIsRefusedAtSubmitNotWaitedOn) {
  const TempDir tmp("bounds-fifo");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  ASSERT_EQ(mkfifo((dir + "/model.json").c_str(), 0600), 0);
  auto spec = LoadTestSpec("tiny_sweep.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->mutable_policy()->set_model_path(dir + "/model.json");
  const absl::Time start = absl::Now();
  auto refused = SubmitSpec(*SweepStub(address), *spec);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("not a regular file"), std::string::npos)
      << refused.status();
  spec->mutable_policy()->clear_model_path();
  EXPECT_TRUE(SubmitSpec(*SweepStub(address), *spec).ok());  // The scheduler carries on.
}

}  // namespace
}  // namespace augur::testing
