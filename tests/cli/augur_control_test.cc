// What users do to whole sweeps and how scripts read the answers, through the `augur` binary
// against a real augur-scheduler (no workers: trials stay PENDING): stop (cancel) and delete a
// sweep, tags and a note, short and unknown trial ids, JSON output parsed back.
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
using ::testing::Not;
using ::testing::StartsWith;

class AugurControlTest : public SchedulerFixture {
 protected:
  AugurControlTest() : SchedulerFixture("control") {}
  std::string Submit() { return SubmitJson()["sweep_id"]; }
  nlohmann::json Json(const std::vector<std::string>& args) {
    std::vector<std::string> with = args;
    with.push_back("--output");
    with.push_back("json");
    Result r = Augur(with, address_);
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }
};

TEST_F(AugurControlTest, StopASweepCancelsEveryTrialAndNothingStartsAfter) {
  const std::string id = Submit();
  Result r = Augur({"stop", id, "--reason", "wrong corpus"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "sweep " + id + " (tiny): cancelled, cancelled 5\n");
  const nlohmann::json status = Json({"status", id});
  EXPECT_EQ(status["sweep"]["state"], "cancelled");
  for (const auto& row : status["ranking"]) EXPECT_EQ(row["trial"]["state"], "cancelled");
  EXPECT_THAT(status["ranking"][0]["trial"]["message"].get<std::string>(),
              HasSubstr("cancelled by local: wrong corpus"));
  // Stopping it again is harmless; a done sweep is another matter (FAILED_PRECONDITION).
  r = Augur({"stop", id}, address_);
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(AugurControlTest, DeleteIsRefusedWhileRunningUnlessForced) {
  const std::string keep = Submit();
  const std::string id = Submit();
  Result r = Augur({"delete", id}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("is running; stop it first (augur stop " + id +
                               ") or delete it with --force"));
  r = Augur({"delete", id, "--force"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted sweep " + id + " with 5 trials\n");
  r = Augur({"status", id}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "augur status: GetSweep: no sweep " + id + "\n");
  const nlohmann::json ls = Json({"ls"});
  ASSERT_EQ(ls["sweeps"].size(), 1u);
  EXPECT_EQ(ls["sweeps"][0]["sweep_id"], keep);
  // A stopped sweep needs no force.
  ASSERT_EQ(Augur({"stop", keep}, address_).code, 0);
  EXPECT_EQ(Augur({"delete", keep}, address_).code, 0);
}

TEST_F(AugurControlTest, TagsAndANoteShowInLsAndStatus) {
  const std::string id = Submit();
  Result r = Augur({"tag", id, "tau-study", "baseline"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "sweep " + id + ": tags: baseline tau-study\n");
  r = Augur({"note", id, "first try on the KJV corpus"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  r = Augur({"tag", id, "baseline", "--remove"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  r = Augur({"status", id}, address_);
  EXPECT_THAT(r.out, HasSubstr("\ntags: tau-study\nnote: first try on the KJV corpus\n"));
  r = Augur({"ls"}, address_);
  EXPECT_THAT(r.out, HasSubstr("tau-study"));
  const nlohmann::json ls = Json({"ls"});
  EXPECT_EQ(ls["sweeps"][0]["tags"], nlohmann::json::array({"tau-study"}));
  EXPECT_EQ(ls["sweeps"][0]["note"], "first try on the KJV corpus");
  r = Augur({"tag", id, "two words"}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("contains whitespace"));
}

TEST_F(AugurControlTest, ShortTrialIdsWorkWhereverASweepIsGivenOrImplied) {
  const std::string id = Submit();
  Result r = Augur({"pause", id, "t003"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "trial " + id + "/t003: paused\n");
  r = Augur({"resume", "t003"}, address_);  // The one running sweep.
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "trial " + id + "/t003: pending\n");
  r = Augur({"pause", id + "/t3"}, address_);  // The planner writes t003.
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "trial " + id + "/t003: paused\n");
  r = Augur({"export", id, "t001", "t2", "--format", "json"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json exported = nlohmann::json::parse(r.out);
  ASSERT_EQ(exported["trials"].size(), 2u);
  EXPECT_EQ(exported["trials"][1]["trial"]["trial_id"], id + "/t002");
  r = Augur({"stop", id, "t004"}, address_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "trial " + id + "/t004: cancelled\n");
  // With two running sweeps a bare short id is ambiguous: the error names them.
  const std::string other = Submit();
  r = Augur({"pause", "t001"}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("2 sweeps are running"));
  EXPECT_THAT(r.err, HasSubstr(other));
  EXPECT_THAT(r.err, HasSubstr("give the sweep: augur pause SWEEP t001"));
}

TEST_F(AugurControlTest, UnknownTrialIdsFailWithAHintNeverAnEmptySuccess) {
  const std::string id = Submit();
  for (const std::vector<std::string>& args : {std::vector<std::string>{"curves", id, "t999"},
                                               {"export", id, "t999"},
                                               {"export", id, "t001", id + "/t998"}}) {
    Result r = Augur(args, address_);
    EXPECT_EQ(r.code, 1) << args[0] << ": " << r.out;
    EXPECT_THAT(r.err, HasSubstr("has no trial t99")) << args[0];
    EXPECT_THAT(r.err, HasSubstr("it has t000 to t004 (see augur status " + id + ")"));
    EXPECT_THAT(r.out, Not(HasSubstr("no curves to plot")));
  }
  for (const char* action : {"pause", "resume", "stop"}) {
    Result r = Augur({action, id, "t999"}, address_);
    EXPECT_EQ(r.code, 1) << action;
    EXPECT_THAT(r.err, HasSubstr("no trial " + id + "/t999; see augur status " + id)) << action;
  }
  Result r = Augur({"pause", "nonsense"}, address_);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("expected TRIAL or SWEEP TRIAL"));
}

TEST_F(AugurControlTest, JsonIsForScriptsNumbersStatesErrorsAndTheSpecText) {
  const std::string id = Submit();
  const nlohmann::json status = Json({"status", id});
  ASSERT_TRUE(status.is_object());
  const nlohmann::json& sweep = status["sweep"];
  EXPECT_TRUE(sweep["tokens_full"].is_number_integer()) << sweep["tokens_full"];
  EXPECT_GT(sweep["tokens_full"].get<int64_t>(), 0);
  EXPECT_EQ(sweep["state"], "running");
  EXPECT_EQ(sweep["trial_counts"]["pending"], 5);
  EXPECT_EQ(sweep["spec"]["seeds"], nlohmann::json::array({0}));
  EXPECT_EQ(sweep["spec"]["search"]["method"], "grid");
  EXPECT_EQ(sweep["spec"]["policy"]["kind"], "collapse");
  EXPECT_THAT(sweep["spec"]["source_yaml"].get<std::string>(), HasSubstr("name: tiny\n"));
  EXPECT_EQ(status["total_trials"], 5);
  EXPECT_EQ(status["ranking"].size(), 5u);
  EXPECT_EQ(status["ranking"][0]["trial"]["state"], "pending");
  EXPECT_TRUE(status["ranking"][0]["trial"]["controls"]["batch_tokens"].is_number_integer());
  // Errors: one JSON object on stderr, the same exit codes as the text form.
  Result r = Augur({"status", "s-nonexistent", "--output", "json"}, address_);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  const nlohmann::json error = nlohmann::json::parse(r.err);
  EXPECT_EQ(error["error"]["command"], "status");
  EXPECT_EQ(error["error"]["code"], "not_found");
  EXPECT_EQ(error["error"]["exit_code"], 1);
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("s-nonexistent"));
  r = Augur({"status", "--output", "json"}, address_);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(nlohmann::json::parse(r.err)["error"]["code"], "usage");
  r = Augur({"--output=json", "frobnicate"}, address_);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(nlohmann::json::parse(r.err)["error"]["exit_code"], 2);
}

TEST_F(AugurControlTest, ASweepOverTheSchedulersLimitIsRefusedNamingIt) {
  std::string address;
  const augur::testing::TempDir tmp("limited");
  auto limited = augur::testing::StartScheduler(tmp.File("augur.db"), &address,
                                                {"--max-trials-per-sweep", "4"});
  ASSERT_TRUE(limited.ok()) << limited.status();
  Result r = Augur(WithPathCheck({"submit", spec_}), address);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("the sweep asks for 5 trials, more than this scheduler's limit of "
                               "4 (augur-scheduler --max-trials-per-sweep)"));
  r = Augur({"ls"}, address);
  EXPECT_THAT(r.out, StartsWith("no sweeps on "));
}

}  // namespace
}  // namespace augur::cli_test
