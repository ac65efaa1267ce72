#include "common/test_temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace augur::testing {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for the scope, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    had_ = std::getenv(name) != nullptr;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(TestTempDir, IsAFreshFolderUnderTmpdirRemovedWithItsContents) {
  const TempDir root("root");  // Stands in for the TMPDIR that ctest gives each test binary.
  const ScopedEnv tmpdir("TMPDIR", root.path().c_str());
  const ScopedEnv test_tmpdir("TEST_TMPDIR", nullptr);
  const ScopedEnv keep("AUGUR_KEEP_TEST_DIRS", nullptr);
  std::string path;
  {
    const TempDir a("case"), b("case");
    path = a.path();
    EXPECT_NE(a.path(), b.path());
    EXPECT_EQ(fs::path(a.path()).parent_path(), fs::path(root.path()));
    EXPECT_EQ(fs::path(a.path()).filename().string().rfind("augur-case-", 0), 0u) << a.path();
    EXPECT_TRUE(fs::is_empty(a.path()));
    fs::create_directories(a.File("deep/er"));
    std::ofstream(a.File("deep/er/file")) << "x";
    // A read-only folder inside does not stop the removal.
    fs::permissions(a.File("deep"), fs::perms::owner_read | fs::perms::owner_exec);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(root.path()));
}

// The folder of a test that fails an ASSERT (which returns from the test body) is removed too.
std::string failed_path;  // No local may be named inside EXPECT_FATAL_FAILURE.
void FailsAnAssert() {
  const TempDir dir("assert");
  failed_path = dir.path();
  std::ofstream(dir.File("file")) << "x";
  ASSERT_TRUE(false) << "meant to fail";
  ADD_FAILURE() << "not reached";
}

TEST(TestTempDir, IsRemovedWhenTheTestFailsAnAssert) {
  EXPECT_FATAL_FAILURE(FailsAnAssert(), "meant to fail");
  ASSERT_FALSE(failed_path.empty());
  EXPECT_FALSE(fs::exists(failed_path)) << failed_path;
}

TEST(TestTempDir, AugurKeepTestDirsKeepsIt) {
  const TempDir root("root");
  std::string path;
  {
    const ScopedEnv keep("AUGUR_KEEP_TEST_DIRS", "1");
    const TempDir kept("kept");
    path = kept.path();
  }
  EXPECT_TRUE(fs::exists(path));
  fs::remove_all(path);  // As the one who asked to keep it would.
  {
    const ScopedEnv keep("AUGUR_KEEP_TEST_DIRS", "0");  // 0 is no.
    const TempDir removed("removed");
    path = removed.path();
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TestTempDir, TestTmpdirComesBeforeTmpdir) {
  const TempDir a("a"), b("b");
  const ScopedEnv tmpdir("TMPDIR", a.path().c_str());
  const ScopedEnv test_tmpdir("TEST_TMPDIR", b.path().c_str());
  EXPECT_EQ(TestTmpRoot(), fs::path(b.path()));
  const TempDir inside("inside");
  EXPECT_EQ(fs::path(inside.path()).parent_path(), fs::path(b.path()));
}

}  // namespace
}  // namespace augur::testing
