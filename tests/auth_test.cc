// Bearer tokens end to end with the real binaries on 127.0.0.1: a scheduler with a tokens file,
// the `augur` CLI and augur-worker sending their tokens (flag, file or $AUGUR_TOKEN), refusals
// logged, and empty token files refused at start (issue 14, item 8).
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/harness.h"

namespace augur::testing {
namespace {

struct Ran {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `binary args` to its end with AUGUR_TOKEN set to `env_token` (unset if empty) and
// AUGUR_SCHEDULER unset.
Ran RunToEnd(const std::string& binary, const std::vector<std::string>& args,
             const std::string& env_token = "") {
  const TempDir tmp("run");  // Its output, read below; removed on return.
  const std::string base = tmp.path() + "/";
  std::string command = absl::StrCat(
      "env -u AUGUR_SCHEDULER ",
      env_token.empty() ? "-u AUGUR_TOKEN " : absl::StrCat("AUGUR_TOKEN=", env_token, " "), binary);
  for (const std::string& a : args) absl::StrAppend(&command, " '", a, "'");
  absl::StrAppend(&command, " > ", base, "out 2> ", base, "err");
  Ran r;
  const int status = std::system(command.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(base + "out");
  r.err = Slurp(base + "err");
  return r;
}

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST(Auth, TheCliAndTheWorkerSendTheirTokensAndEmptyTokenFilesAreRefused) {
  const TempDir tmp("auth");
  const std::string& dir = tmp.path();
  const std::string tokens = WriteFile(dir + "/tokens", "worker w0rker-t0ken\nsubmit us3r-t0ken\n");
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address, {"--tokens-file", tokens});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  const std::string augur = AUGUR_BINARY;

  Ran r = RunToEnd(augur, {"ls", "--scheduler", address});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("token"), std::string::npos) << r.err;
  r = RunToEnd(augur, {"ls", "--scheduler", address, "--token", "us3r-t0ken"});
  EXPECT_EQ(r.code, 0) << r.err;
  r = RunToEnd(augur, {"--token", "wrong", "ls", "--scheduler", address});
  EXPECT_EQ(r.code, 1) << r.err;
  r = RunToEnd(augur, {"ls", "--scheduler", address}, /*env_token=*/"us3r-t0ken");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string user_file = WriteFile(dir + "/user-token", "# mine\n  us3r-t0ken  \n");
  r = RunToEnd(augur, {"ls", "--scheduler", address, "--token-file", user_file});
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string empty = WriteFile(dir + "/empty", "\n# nothing\n");
  r = RunToEnd(augur, {"ls", "--scheduler", address, "--token-file", empty});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(empty + " holds no token"), std::string::npos) << r.err;

  // A worker with its token file registers; one with a wrong token says so in its log.
  const std::string worker_file = WriteFile(dir + "/worker-token", "w0rker-t0ken\n");
  auto worker =
      Proc::Start(FindBinaries().worker,
                  {"--scheduler", address, "--worker-id", "good", "--work-dir", dir + "/work",
                   "--gpus", "0", "--cpu-slots", "1", "--token-file", worker_file});
  ASSERT_TRUE(worker.ok());
  auto refused = Proc::Start(FindBinaries().worker, {"--scheduler", address, "--worker-id", "bad",
                                                     "--work-dir", dir + "/work-bad", "--gpus", "0",
                                                     "--cpu-slots", "1", "--token", "guess"});
  ASSERT_TRUE(refused.ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  bool listed = false;
  while (!listed && absl::Now() < deadline) {
    r = RunToEnd(augur, {"workers", "--scheduler", address, "--output", "json"}, "us3r-t0ken");
    listed = r.code == 0 && r.out.find("\"good\"") != std::string::npos;
    if (!listed) absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(listed) << r.out << r.err;
  EXPECT_EQ(r.out.find("\"bad\""), std::string::npos) << r.out;
  auto exit = (*refused)->Terminate(absl::Seconds(10));
  ASSERT_TRUE(exit.ok());
  EXPECT_NE(exit->stderr_tail.find("ERROR augur-worker register_failed"), std::string::npos)
      << exit->stderr_tail;
  EXPECT_NE(exit->stderr_tail.find("code=16"), std::string::npos) << exit->stderr_tail;

  // Empty token files are startup errors, never "no auth".
  r = RunToEnd(FindBinaries().worker, {"--scheduler", address, "--token-file", empty});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("holds no token"), std::string::npos) << r.err;
  r = RunToEnd(FindBinaries().scheduler,
               {"--listen", "127.0.0.1:0", "--db", dir + "/other.db", "--tokens-file", empty});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("empty tokens file would turn auth off"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace augur::testing
