// The scheduler commands of the `augur` binary against a real augur-scheduler process (started
// by tests/harness.h on a free port). No workers: submitted trials stay PENDING, which is enough
// for submit, ls, status, top, stop, pause, resume, workers and export.
#include <chrono>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_runner.h"
#include "tests/cli/scheduler_fixture.h"
#include "tests/harness.h"

namespace augur::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class AugurRemoteTest : public SchedulerFixture {
 protected:
  AugurRemoteTest() : SchedulerFixture("cli") {}

  // Submits the tiny spec and returns the sweep id.
  std::string Submit() {
    const nlohmann::json j = SubmitJson();
    EXPECT_EQ(j["planned_trials"], 5);  // 4 learning rates + 1 collapse reference.
    return j["sweep_id"];
  }
};

TEST_F(AugurRemoteTest, SubmitPrintsTheSweepAndLsListsIt) {
  Result r = Augur(WithPathCheck({"submit", spec_, "--scheduler", address_}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("submitted sweep s-"));
  EXPECT_THAT(r.out, HasSubstr("(tiny) to " + address_ + ": 5 trials planned"));
  const std::string id = r.out.substr(16, r.out.find(' ', 16) - 16);
  r = Augur({"ls"}, address_);  // Address from $AUGUR_SCHEDULER this time.
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("SWEEP "));
  EXPECT_THAT(r.out, HasSubstr(id + "  tiny  running  pending 5"));
  r = Augur({"ls", "--output", "json", "--scheduler", address_});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["sweeps"].size(), 1u);
  EXPECT_EQ(j["sweeps"][0]["sweep_id"], id);
  EXPECT_EQ(j["sweeps"][0]["trial_counts"]["pending"], 5);
}

TEST_F(AugurRemoteTest, BadSpecIsNotSubmitted) {
  const fs::path bad = TestDir() / "bad.yaml";
  std::ofstream(bad) << "name: bad\nmodel: {sizes: [{width: 64, depth: 2, heads: 5}]}\n";
  Result r = Augur({"submit", bad.string()}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr(bad.string() + ":2:"));
  EXPECT_THAT(r.err, HasSubstr("; nothing submitted\n"));
  r = Augur({"ls"}, address_);
  EXPECT_THAT(r.out, StartsWith("no sweeps on " + address_));
}

TEST_F(AugurRemoteTest, StatusAndTopShowTheRanking) {
  const std::string id = Submit();
  Result r = Augur({"status", id}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("sweep " + id + " (tiny): running, pending 5\n"));
  EXPECT_THAT(r.out, HasSubstr("WHY STOPPED"));
  for (const char* t : {"t000", "t001", "t002", "t003", "t004"}) EXPECT_THAT(r.out, HasSubstr(t));
  EXPECT_THAT(r.out, HasSubstr("lr=0.06"));
  EXPECT_THAT(r.out, HasSubstr("0 decisions, 0 stops"));
  r = Augur({"status", id, "--output", "json"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ranking"].size(), 5u);
  r = Augur({"top", id}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("PREDICTED"));
  r = Augur({"status", "s-nonexistent"}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("augur status: GetSweep: "));
}

TEST_F(AugurRemoteTest, TrialActionsAndTopWatchUntilTheSweepEnds) {
  const std::string id = Submit();
  Result r = Augur({"pause", id + "/t001"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "trial " + id + "/t001: paused\n");
  r = Augur({"resume", id + "/t001"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "trial " + id + "/t001: pending\n");
  for (const char* t : {"t000", "t001", "t002", "t003", "t004"}) {
    r = Augur({"stop", id + "/" + t, "--reason", "test"}, address_);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "trial " + id + "/" + t + ": cancelled\n");
  }
  r = Augur({"stop", id + "/t001"}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("augur stop: StopTrial: "));
  EXPECT_THAT(r.err, HasSubstr("already ended"));
  // Every trial ended, so the watch gets one update and returns (piped: plain lines).
  r = Augur({"top", id, "--watch"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("t003 (lr=0.02) cancelled"));
  EXPECT_THAT(r.out, HasSubstr("cancelled 5; tokens 0 of "));
  EXPECT_THAT(r.out, HasSubstr("sweep " + id + " is "));
  r = Augur({"top", id, "--watch", "--output", "json"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out.substr(0, r.out.find('\n')))["ranking"].size(), 5u);
}

TEST_F(AugurRemoteTest, ExportWritesThePredictorCsvHeaderAndJson) {
  const std::string id = Submit();
  const fs::path csv = TestDir() / "curves.csv";
  Result r = Augur({"export", id, "--format", "csv", "--out", csv.string()}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(ReadAll(csv), StartsWith("run_id,step,tokens,fraction,loss,val_loss,lr,total_steps,"
                                       "schedule,"));
  r = Augur({"export", id, "--format", "json"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["trials"].size(), 5u);
  EXPECT_GT(j["trials"][0]["trial"]["controls"]["total_steps"].get<int64_t>(), 0);
  EXPECT_EQ(j["sweep_id"], id);
  r = Augur({"export", id, "--format", "xml"}, address_);
  EXPECT_EQ(r.code, 2);
}

TEST_F(AugurRemoteTest, WorkersSaysWhenThereAreNone) {
  Result r = Augur({"workers"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "no workers have registered with " + address_ + "\n");
  r = Augur({"workers", "--output", "json"}, address_);
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(nlohmann::json::parse(r.out).is_object());
}

TEST(AugurUnreachableTest, FailsFastNamingTheAddress) {
  for (const bool from_env : {false, true}) {
    const auto start = std::chrono::steady_clock::now();
    // Port 1 (tcpmux) is closed on the test machines: the connection is refused.
    Result r = from_env ? Augur({"ls"}, "127.0.0.1:1")
                        : Augur({"status", "s-1", "--scheduler", "127.0.0.1:1"});
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("cannot reach the scheduler at 127.0.0.1:1"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_LT(took, std::chrono::seconds(10));
  }
}

}  // namespace
}  // namespace augur::cli_test
