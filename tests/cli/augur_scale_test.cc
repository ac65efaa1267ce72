// A 20,000-trial sweep on a real augur-scheduler, looked at the ways a user would: the whole
// GetSweep of such a sweep is over gRPC's 4 MiB limit (4.4 MB at 15,000 trials before paging),
// so status, ls and export must page or stream through it.
#include <chrono>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_runner.h"
#include "tests/harness.h"

namespace augur::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kTrials = 20000;

TEST(AugurScaleTest, A20000TrialSweepPagesThroughStatusLsAndExport) {
  std::string address;
  const augur::testing::TempDir tmp("scale");
  auto scheduler = augur::testing::StartScheduler(tmp.File("augur.db"), &address);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  const std::string spec = (SourceDir() / "tests/data/scale_sweep.yaml").string();
  Result r = Augur(WithPathCheck({"submit", spec, "--output", "json"}), address);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json submitted = nlohmann::json::parse(r.out);
  ASSERT_EQ(submitted["planned_trials"], kTrials);
  const std::string id = submitted["sweep_id"];

  // status: the best 50 (one small page, and one more for the latest stops).
  r = Augur({"status", id}, address);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("sweep " + id + " (scale): running, pending 20000\n"));
  EXPECT_THAT(r.out, HasSubstr("(the best 50 of 20000 trials; --limit 0 shows all)"));

  // status --limit 0 --output json: every trial, once, parsed back.
  r = Augur({"status", id, "--limit", "0", "--output", "json"}, address);
  ASSERT_EQ(r.code, 0) << r.err.substr(0, 300);
  const nlohmann::json status = nlohmann::json::parse(r.out);
  ASSERT_EQ(status["total_trials"], kTrials);
  ASSERT_EQ(status["ranking"].size(), static_cast<size_t>(kTrials));
  std::set<std::string> seen;
  for (const auto& row : status["ranking"]) seen.insert(row["trial"]["trial_id"]);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kTrials)) << "a trial came twice or not at all";
  EXPECT_EQ(status["ranking"][kTrials - 1]["rank"], kTrials);

  // ls: the sweep with its counts.
  r = Augur({"ls", "--output", "json"}, address);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json ls = nlohmann::json::parse(r.out);
  ASSERT_EQ(ls["sweeps"].size(), 1u);
  EXPECT_EQ(ls["sweeps"][0]["trial_counts"]["pending"], kTrials);
  r = Augur({"ls"}, address);
  EXPECT_THAT(r.out, HasSubstr(id + "  scale  running  pending 20000"));

  // export: every trial streamed (no points yet: none has trained), JSON parsed back.
  r = Augur({"export", id, "--format", "json"}, address);
  ASSERT_EQ(r.code, 0) << r.err.substr(0, 300);
  const nlohmann::json exported = nlohmann::json::parse(r.out);
  ASSERT_EQ(exported["trials"].size(), static_cast<size_t>(kTrials));
  EXPECT_EQ(exported["trials"][kTrials - 1]["trial"]["trial_id"], id + "/t19999");
  const std::string csv = (TestDir() / "scale.csv").string();
  r = Augur({"export", id, "--out", csv}, address);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "wrote 20000 trials, 0 points to " + csv + "\n");

  // top shows its first rows without fetching the rest.
  r = Augur({"top", id, "--limit", "10"}, address);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("t0"));
}

}  // namespace
}  // namespace augur::cli_test
