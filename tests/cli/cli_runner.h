// Runs the built `augur` binary (AUGUR_BINARY) as a user would and collects exit code, stdout
// and stderr. Header-only: shared by the CLI test binaries.
#ifndef AUGUR_TESTS_CLI_CLI_RUNNER_H_
#define AUGUR_TESTS_CLI_CLI_RUNNER_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur::cli_test {

namespace fs = std::filesystem;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A folder of this process (ctest runs test cases in parallel processes), removed at exit.
inline fs::path TestDir() {
  static const augur::testing::TempDir dir("cli_test");
  return dir.path();
}

inline fs::path SourceDir() {
  const char* dir = std::getenv("AUGUR_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::current_path();
}

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs augur with `args`. AUGUR_SCHEDULER is unset unless `scheduler_env` is given.
inline Result Augur(const std::vector<std::string>& args, const std::string& scheduler_env = "") {
  static int counter = 0;
  const fs::path dir = TestDir();
  const fs::path out = dir / ("out" + std::to_string(counter));
  const fs::path err = dir / ("err" + std::to_string(counter++));
  std::string command = scheduler_env.empty() ? "env -u AUGUR_SCHEDULER "
                                              : "env AUGUR_SCHEDULER=" + Quote(scheduler_env) + " ";
  command += Quote(AUGUR_BINARY);
  for (const std::string& a : args) command += " " + Quote(a);
  command += " >" + Quote(out.string()) + " 2>" + Quote(err.string()) + " </dev/null";
  const int status = std::system(command.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

// The corpus of the test specs is Debian's bible-kjv-text; without it, submit skips the check.
inline std::vector<std::string> WithPathCheck(std::vector<std::string> args) {
  if (!fs::exists("/usr/lib/bible.data")) args.push_back("--skip-path-checks");
  return args;
}

}  // namespace augur::cli_test

#endif  // AUGUR_TESTS_CLI_CLI_RUNNER_H_
