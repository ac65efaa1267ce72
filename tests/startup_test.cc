// Startup errors of the real binaries (issue 14, item 3): each used to be a silent segfault
// (rc 139). Now each is exit 1 with one line on stderr naming the cause, and nothing is left
// running.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/harness.h"

namespace augur::testing {
namespace {

// Runs `binary args` to its end (30 s at most).
ProcessExit RunToEnd(const std::string& binary, const std::vector<std::string>& args) {
  auto p = Proc::Start(binary, args);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  auto exit = (*p)->Wait(absl::Seconds(30));
  EXPECT_TRUE(exit.ok()) << binary << " did not exit: " << exit.status();
  return exit.ok() ? *exit : ProcessExit{};
}

// Exit 1 with one line on stderr that contains `cause`.
void ExpectOneLineError(const ProcessExit& exit, const std::string& cause,
                        const std::string& what) {
  EXPECT_TRUE(exit.exited) << what << ": " << exit.Describe();
  EXPECT_EQ(exit.code, 1) << what << ": " << exit.Describe() << "\n" << exit.stderr_tail;
  const std::string line(absl::StripSuffix(exit.stderr_tail, "\n"));
  EXPECT_FALSE(line.empty()) << what;
  EXPECT_EQ(line.find('\n'), std::string::npos) << what << ": more than one line:\n" << line;
  EXPECT_TRUE(absl::StrContains(line, cause)) << what << ": " << line;
}

ProcessExit Scheduler(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunToEnd(FindBinaries().scheduler, args);
}

TEST(Startup, EachSchedulerStartupErrorIsOneLineAndExitOne) {
  const TempDir tmp("startup");
  const std::string& dir = tmp.path();
  ExpectOneLineError(Scheduler({"--db", "/nonexistent-augur/x.db"}), "/nonexistent-augur/x.db",
                     "db in a missing folder");

  std::ofstream(dir + "/text.db") << std::string(8192, 'x');
  ExpectOneLineError(Scheduler({"--db", dir + "/text.db"}), dir + "/text.db", "not SQLite");

  ExpectOneLineError(
      Scheduler({"--db", dir + "/a.db", "--tokens-file", "/nonexistent-augur/tokens"}),
      "/nonexistent-augur/tokens", "missing tokens file");

  std::ofstream(dir + "/bad-tokens") << "admin 0123456789abcdef\ngarbage\n";
  ExpectOneLineError(Scheduler({"--db", dir + "/b.db", "--tokens-file", dir + "/bad-tokens"}),
                     dir + "/bad-tokens:2", "bad tokens line");

  std::ofstream(dir + "/empty-tokens") << "";
  ExpectOneLineError(Scheduler({"--db", dir + "/c.db", "--tokens-file", dir + "/empty-tokens"}),
                     "empty tokens file", "empty tokens file");
}

TEST(Startup, AStoreWithANewerSchemaIsRefusedWithTheVersions) {
  const TempDir tmp("startup-schema");
  const std::string& dir = tmp.path();
  const std::string db = dir + "/augur.db";
  {
    std::string address;
    auto s = StartScheduler(db, &address);
    ASSERT_TRUE(s.ok()) << s.status();
    auto exit = (*s)->Terminate(absl::Seconds(30));  // Clean: the WAL is folded in.
    ASSERT_TRUE(exit.ok() && exit->exited && exit->code == 0) << exit->Describe();
  }
  ASSERT_FALSE(std::filesystem::exists(db + "-wal"));
  {  // PRAGMA user_version lives at byte 60 of the header, big-endian.
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);
    const char version[4] = {0, 0, 0x03, static_cast<char>(0xe7)};  // 999.
    f.write(version, 4);
  }
  ExpectOneLineError(Scheduler({"--db", db}), "999", "newer schema");
}

// One store, one scheduler; one port, one server (gRPC's SO_REUSEPORT let a second one start
// and the CLI then alternated between them).
TEST(Startup, ASecondSchedulerOnTheSameStoreOrPortIsRefused) {
  const TempDir tmp("startup-second");
  const std::string& dir = tmp.path();
  std::string address;
  auto first = StartScheduler(dir + "/augur.db", &address);
  ASSERT_TRUE(first.ok()) << first.status();
  ExpectOneLineError(Scheduler({"--db", dir + "/augur.db"}), "in use by another scheduler",
                     "same store");
  ExpectOneLineError(
      RunToEnd(FindBinaries().scheduler, {"--listen", address, "--db", dir + "/other.db"}), address,
      "same port");
}

// Damaged pages are found at start (PRAGMA quick_check), not by the first call that reads them.
TEST(Startup, ACorruptStoreIsRefusedAtStart) {
  const TempDir tmp("startup-corrupt");
  const std::string& dir = tmp.path();
  const std::string db = dir + "/augur.db";
  {
    std::string address;
    auto s = StartScheduler(db, &address);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE((*s)->Terminate(absl::Seconds(30)).ok());
  }
  const auto size = std::filesystem::file_size(db);
  ASSERT_GT(size, 8192u);
  {  // Garbage over every page but the first (the header stays valid).
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string junk(size - 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  ExpectOneLineError(Scheduler({"--db", db}), db + " is corrupt", "corrupt store");
}

TEST(Startup, AugurRunWithADbInAMissingFolderIsOneLineAndExitOne) {
  const std::string spec = std::string(AUGUR_SOURCE_DIR) + "/examples/quickstart.yaml";
  ExpectOneLineError(RunToEnd(AUGUR_BINARY, {"run", spec, "--db", "/nonexistent-augur/x.db"}),
                     "/nonexistent-augur/x.db", "augur run");
}

}  // namespace
}  // namespace augur::testing
