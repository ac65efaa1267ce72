// SchedulerServer::Start refuses what it cannot serve with a status naming the cause, and the
// half-built server it leaves behind is destroyed cleanly (these used to crash with SIGSEGV).
#include "scheduler/server.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

// A file in a folder of this process, removed at exit.
std::string TempPath(const std::string& name) {
  static const augur::testing::TempDir dir("server_test");
  return dir.File(name);
}

ServerOptions Options(const std::string& db) {
  ServerOptions o;
  o.listen_address = "127.0.0.1:0";
  o.db_path = db;
  return o;
}

TEST(SchedulerServer, ADbInAMissingFolderIsAnErrorNamingIt) {
  auto s = SchedulerServer::Start(Options("/nonexistent-augur-dir/x.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent-augur-dir/x.db"), std::string::npos)
      << s.status();
}

TEST(SchedulerServer, AFileThatIsNotSqliteIsAnError) {
  const std::string db = TempPath("not-a-db.db");
  std::ofstream(db) << "this is not an SQLite file, just text that is long enough to matter\n";
  auto s = SchedulerServer::Start(Options(db));
  EXPECT_FALSE(s.ok());
}

TEST(SchedulerServer, AMissingTokensFileIsAnError) {
  ServerOptions o = Options(TempPath("tokens.db"));
  o.tokens_file = "/nonexistent-augur-dir/tokens";
  auto s = SchedulerServer::Start(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent-augur-dir/tokens"), std::string::npos)
      << s.status();
}

TEST(SchedulerServer, ABadTokensLineIsAnErrorNamingTheLine) {
  ServerOptions o = Options(TempPath("badtokens.db"));
  o.tokens_file = TempPath("tokens");
  std::ofstream(o.tokens_file) << "admin 0123456789abcdef\ngarbage\n";
  auto s = SchedulerServer::Start(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(o.tokens_file + ":2"), std::string::npos) << s.status();
}

TEST(SchedulerServer, ASecondSchedulerOnTheSamePortIsRefused) {
  auto first = SchedulerServer::Start(Options(TempPath("first.db")));
  ASSERT_TRUE(first.ok()) << first.status();
  ServerOptions o = Options(TempPath("second.db"));
  o.listen_address = (*first)->address();
  auto second = SchedulerServer::Start(o);
  ASSERT_FALSE(second.ok()) << "two schedulers listen on " << o.listen_address;
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(o.listen_address), std::string::npos) << second.status();
}

TEST(SchedulerServer, StartsServesAndShutsDownTwice) {
  auto s = SchedulerServer::Start(Options(TempPath("ok.db")));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GT((*s)->port(), 0);
  (*s)->Shutdown();
  (*s)->Shutdown();  // Idempotent; the destructor runs it a third time.
}

TEST(SchedulerServer, ASecondSchedulerOnTheSameStoreIsRefused) {
  const std::string db = TempPath("shared.db");
  auto first = SchedulerServer::Start(Options(db));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = SchedulerServer::Start(Options(db));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("is in use by another scheduler (pid "),
            std::string::npos)
      << second.status();
  first->reset();  // Released with its owner: the next one may start.
  EXPECT_TRUE(SchedulerServer::Start(Options(db)).ok());
}

// A corrupt store: tests/startup_test.cc (Startup.ACorruptStoreIsRefusedAtStart).

TEST(SchedulerServer, AnEmptyTokensFileIsAnErrorNotAuthOff) {
  ServerOptions o = Options(TempPath("emptytokens.db"));
  o.tokens_file = TempPath("empty-tokens");
  std::ofstream(o.tokens_file) << "# no tokens yet\n\n";
  auto s = SchedulerServer::Start(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("empty tokens file would turn auth off"), std::string::npos)
      << s.status();
}

}  // namespace
}  // namespace augur
