#include "worker/trial_process.h"

#include <signal.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

TrialProcessOptions Shell(const std::string& script) {
  TrialProcessOptions o;
  o.binary = "/bin/sh";
  o.args = {"-c", script};
  return o;
}

// Starts `script`, which prints one line once its traps are set, and waits for that line; null
// (with a test failure) if it does not start or never says so.
std::unique_ptr<TrialProcess> StartReady(const std::string& script) {
  auto ready = std::make_shared<absl::Notification>();
  auto p = TrialProcess::Start(Shell(script), [ready](const std::string&) {
    if (!ready->HasBeenNotified()) ready->Notify();
  });
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return nullptr;
  EXPECT_TRUE(ready->WaitForNotificationWithTimeout(absl::Seconds(30)));
  return std::move(p).value();
}

// The worker blocks SIGINT and SIGTERM in every thread (common/signals.h); a trainer started
// from such a thread must not inherit that mask, or it never hears the SIGTERM that pauses it.
TEST(TrialProcess, TheChildStartsWithNoSignalBlocked) {
  std::string line;
  std::thread starter([&] {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    TrialProcessOptions o;  // Not a shell: a shell may reset its mask when it starts.
    o.binary = "/bin/grep";
    o.args = {"SigBlk", "/proc/self/status"};
    auto p = TrialProcess::Start(o, [&](const std::string& l) { line = l; });
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ((*p)->Wait().code, 0);
  });
  starter.join();
  EXPECT_EQ(line, "SigBlk:\t0000000000000000");
}

TEST(TrialProcess, DeliversEveryLineAndTheExitCode) {
  absl::Mutex mu;
  std::vector<std::string> lines;
  auto p = TrialProcess::Start(
      Shell("i=1; while [ $i -le 500 ]; do echo \"point $i\"; i=$((i+1)); done; "
            "printf tail-without-newline; echo oops >&2; exit 3"),
      [&](const std::string& l) {
        absl::MutexLock lock(&mu);
        lines.push_back(l);
      });
  ASSERT_TRUE(p.ok()) << p.status();
  const ProcessExit e = (*p)->Wait();
  EXPECT_TRUE(e.exited);
  EXPECT_EQ(e.code, 3);
  EXPECT_EQ(e.Describe(), "exit 3");
  EXPECT_EQ(e.stderr_tail, "oops\n");
  absl::MutexLock lock(&mu);
  ASSERT_EQ(lines.size(), 501u);
  EXPECT_EQ(lines[0], "point 1");
  EXPECT_EQ(lines[499], "point 500");
  EXPECT_EQ(lines[500], "tail-without-newline");
}

TEST(TrialProcess, StderrTailIsBounded) {
  TrialProcessOptions o = Shell("i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done");
  o.stderr_tail_bytes = 100;
  auto p = TrialProcess::Start(o, nullptr);
  ASSERT_TRUE(p.ok());
  const ProcessExit e = (*p)->Wait();
  EXPECT_EQ(e.stderr_tail.size(), 100u);
  EXPECT_NE(e.stderr_tail.find("line1999\n"), std::string::npos);
}

TEST(TrialProcess, TerminateEscalatesToKillWhenTermIsIgnored) {
  // The child ignores SIGTERM (once it says ready), so only the SIGKILL after the grace period
  // ends it.
  auto p = StartReady("trap '' TERM; echo ready; while true; do sleep 1; done");
  ASSERT_NE(p, nullptr);
  p->Terminate(absl::Milliseconds(200));
  auto e = p->WaitFor(absl::Seconds(30));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_FALSE(e->exited);
  EXPECT_EQ(e->signal, SIGKILL);
}

TEST(TrialProcess, TerminateIsPoliteFirst) {
  auto p = StartReady("trap 'exit 0' TERM; echo ready; while true; do sleep 0.05; done");
  ASSERT_NE(p, nullptr);
  p->Terminate(absl::Seconds(20));
  auto e = p->WaitFor(absl::Seconds(30));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->exited);
  EXPECT_EQ(e->code, 0);
}

TEST(TrialProcess, KillEndsTheChildAtOnceEvenIfItIgnoresTerm) {
  auto p = StartReady("trap '' TERM; echo ready; while true; do sleep 1; done");
  ASSERT_NE(p, nullptr);
  p->Kill();
  auto e = p->WaitFor(absl::Seconds(5));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_FALSE(e->exited);
  EXPECT_EQ(e->signal, SIGKILL);
  p->Kill();  // After the end: a no-op.
}

TEST(TrialProcess, WaitForTimesOutOnARunningChild) {
  auto p = TrialProcess::Start(Shell("sleep 30"), nullptr);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->WaitFor(absl::Milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  // The destructor kills it; the test must not take 30 s.
}

TEST(TrialProcess, MissingBinaryIsNotFound) {
  TrialProcessOptions o;
  o.binary = "/nonexistent/augur-train";
  auto p = TrialProcess::Start(o, nullptr);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("/nonexistent/augur-train"), std::string::npos);
  EXPECT_EQ(TrialProcess::Start(TrialProcessOptions{}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TrialProcess, ExtraEnvironmentReachesTheChild) {
  TrialProcessOptions o = Shell("echo \"$AUGUR_TRIAL_ID\"");
  o.env = {"AUGUR_TRIAL_ID=s1/t003"};
  std::string got;
  auto p = TrialProcess::Start(o, [&](const std::string& l) { got = l; });
  ASSERT_TRUE(p.ok());
  (*p)->Wait();
  EXPECT_EQ(got, "s1/t003");
}

TEST(TrialProcess, ExtraEnvironmentReplacesAnInheritedVariable) {
  setenv("AUGUR_TEST_INHERITED", "parent", 1);
  TrialProcessOptions o =
      Shell("env | grep -c '^AUGUR_TEST_INHERITED='; echo $AUGUR_TEST_INHERITED");
  o.env = {"AUGUR_TEST_INHERITED=child"};
  std::vector<std::string> got;
  auto p = TrialProcess::Start(o, [&](const std::string& l) { got.push_back(l); });
  ASSERT_TRUE(p.ok());
  (*p)->Wait();
  unsetenv("AUGUR_TEST_INHERITED");
  EXPECT_EQ(got, (std::vector<std::string>{"1", "child"}));
}

}  // namespace
}  // namespace augur
