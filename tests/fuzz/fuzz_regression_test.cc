// Every input kept for a fuzz target (tests/fuzz/corpus/TARGET/ and the reproducers of crashes
// found, tests/fuzz/crashes/TARGET/) runs through the same entry function in the ordinary
// build, so that a fixed crash stays fixed without clang or libFuzzer.
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/fuzz/fuzz_targets.h"

namespace augur::fuzz {
namespace {

namespace fs = std::filesystem;

// Feeds every file under tests/fuzz/{corpus,crashes}/`target`; returns how many.
int FeedAll(const std::string& target, const std::function<void(const uint8_t*, size_t)>& fn) {
  const char* src = std::getenv("AUGUR_SOURCE_DIR");
  int n = 0;
  for (const char* kind : {"corpus", "crashes"}) {
    const fs::path dir = fs::path(src != nullptr ? src : ".") / "tests" / "fuzz" / kind / target;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      const std::string data = bytes.str();
      SCOPED_TRACE(entry.path().string());
      fn(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      ++n;
    }
  }
  return n;
}

TEST(FuzzRegression, SweepSpec) { EXPECT_GT(FeedAll("sweep_spec", FuzzSweepSpec), 0); }
TEST(FuzzRegression, CurveCsv) { EXPECT_GT(FeedAll("curve_csv", FuzzCurveCsv), 0); }
TEST(FuzzRegression, TrialConfig) { EXPECT_GT(FeedAll("trial_config", FuzzTrialConfig), 0); }
TEST(FuzzRegression, SchedulerRequests) {
  EXPECT_GT(FeedAll("scheduler_requests", FuzzSchedulerRequests), 0);
}

}  // namespace
}  // namespace augur::fuzz
