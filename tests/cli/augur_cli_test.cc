// Runs the built `augur` binary as a user would: exit codes, stdout and stderr.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_runner.h"

namespace {

namespace fs = std::filesystem;
using ::augur::cli_test::Augur;
using ::augur::cli_test::ReadAll;
using ::augur::cli_test::Result;
using ::augur::cli_test::SourceDir;
using ::augur::cli_test::TestDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<fs::path> Examples() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(SourceDir() / "examples")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The examples read Debian's bible-kjv-text (setup.sh installs it); without it, everything but
// the existence of the corpus is still checked.
std::vector<std::string> Validate(const fs::path& spec, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"validate", spec.string()};
  if (!fs::exists("/usr/lib/bible.data")) args.push_back("--skip-path-checks");
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

const char* const kCommands[] = {"validate", "submit",  "run",    "ls",   "status",
                                 "top",      "curves",  "export", "stop", "pause",
                                 "resume",   "workers", "version"};

TEST(AugurCliTest, TopLevelHelpListsEveryCommand) {
  Result r = Augur({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, StartsWith("augur: "));
  for (const char* name : kCommands) EXPECT_THAT(r.out, HasSubstr(std::string("  ") + name));
  EXPECT_EQ(r.err, "");
}

TEST(AugurCliTest, EveryCommandHasHelp) {
  for (const char* name : kCommands) {
    Result r = Augur({name, "--help"});
    EXPECT_EQ(r.code, 0) << name;
    EXPECT_THAT(r.out, StartsWith(std::string("Usage: augur ") + name)) << name;
    EXPECT_THAT(r.out, HasSubstr("--output table|json")) << name;
  }
}

TEST(AugurCliTest, EveryExampleValidates) {
  const std::vector<fs::path> examples = Examples();
  EXPECT_GE(examples.size(), 4u);
  for (const fs::path& spec : examples) {
    Result r = Augur(Validate(spec));
    EXPECT_EQ(r.code, 0) << spec << "\n" << r.err;
    EXPECT_THAT(r.out, HasSubstr(" is valid.")) << spec;
    EXPECT_EQ(r.err, "") << spec;
  }
}

TEST(AugurCliTest, JsonOutputParsesAndCarriesTheSummary) {
  Result r = Augur(Validate(SourceDir() / "examples/quickstart.yaml", {"--output", "json"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["summary"]["trials"], 12);          // 4 lr x 3 tau.
  EXPECT_EQ(j["summary"]["planned_trials"], 15);  // + one reference run per tau.
  EXPECT_EQ(j["summary"]["sizes"][0]["steps"][0]["steps"], 483);
  EXPECT_EQ(j["spec"]["name"], "quickstart");
  EXPECT_EQ(j["spec"]["policy"]["kind"], "collapse");  // Short names (docs/json.md).
  EXPECT_TRUE(j["spec"]["seeds"][0].is_number_integer());
  EXPECT_EQ(j["warnings"], nlohmann::json::array());
}

// docs/spec.md opens with a complete example; it must stay valid as the parser changes.
TEST(AugurCliTest, TheReferenceExampleInDocsValidates) {
  const std::string doc = ReadAll(SourceDir() / "docs/spec.md");
  const size_t begin = doc.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  const fs::path spec = TestDir() / "doc_example.yaml";
  std::ofstream(spec) << doc.substr(begin + 8, end - begin - 8);
  Result r = Augur({"validate", spec.string(), "--skip-path-checks", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["summary"]["trials"], 9);
  EXPECT_EQ(j["spec"]["schedule"]["shape"], "warmup_stable_decay");
}

class BadSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir() / "bad";
    fs::create_directories(dir_);
    spec_ = (dir_ / "bad.yaml").string();
    std::ofstream(spec_) << "name: bad\n"
                            "model:\n"
                            "  sizes: [{width: 64, depth: 2, heads: 5, context: 128}]\n"
                            "data: {path: nowhere.txt}\n"
                            "schedule: {warmup: 0.1}\n"
                            "optimizer: {lr: 0.01}\n";
  }
  fs::path dir_;
  std::string spec_;
};

TEST_F(BadSpecTest, ExitsOneWithEveryErrorLocated) {
  Result r = Augur({"validate", spec_});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, spec_ +
                       ":5:12: schedule.warmup: unknown key `warmup`; did you mean "
                       "`warmup_fraction`?\n" +
                       spec_ + ":4:14: data.path: got `nowhere.txt`, but " +
                       (dir_ / "nowhere.txt").string() + " does not exist\n" + spec_ +
                       ":3:40: model.sizes[0].heads: got 5, expected a divisor of width 64\n" +
                       "augur validate: " + spec_ + " has 3 errors\n");
}

TEST_F(BadSpecTest, JsonErrorsParse) {
  Result r = Augur({"validate", spec_, "--output=json"});
  EXPECT_EQ(r.code, 1);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_EQ(j["errors"].size(), 3u);
  EXPECT_EQ(j["errors"][0]["line"], 5);
  EXPECT_EQ(j["errors"][0]["column"], 12);
  EXPECT_EQ(j["errors"][0]["field"], "schedule.warmup");
  // The failure itself is a JSON object on stderr.
  const nlohmann::json error = nlohmann::json::parse(r.err);
  EXPECT_EQ(error["error"]["message"], spec_ + " has 3 errors");
  EXPECT_EQ(error["error"]["exit_code"], 1);
}

TEST_F(BadSpecTest, SeveralFilesAreCheckedEachAndAnyInvalidFails) {
  const std::string good = (SourceDir() / "examples/quickstart.yaml").string();
  Result r = Augur({"validate", good, spec_, good, "--skip-path-checks"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n') > 10, true);
  EXPECT_THAT(r.out, HasSubstr("Sweep quickstart is valid."));
  EXPECT_THAT(r.err, HasSubstr(spec_ + ":5:12: schedule.warmup"));
  EXPECT_THAT(r.err, HasSubstr("augur validate: 1 of 3 specs are invalid: " + spec_ + "\n"));
  r = Augur({"validate", good, good, "--skip-path-checks", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_EQ(j["files"][1]["valid"], true);
}

TEST(AugurCliTest, ASpecWithoutSearchIsOnePoint) {
  const fs::path spec = TestDir() / "one_point.yaml";
  std::ofstream(spec)
      << "name: one\nmodel: {depth: 2, heads: 2, context: 32, sizes: [{width: 32}]}\n"
         "data: {corpus: kjv}\noptimizer: {lr: 0.003, tau: 0.2}\n"
         "policy: {kind: none}\n";
  Result r = Augur({"validate", spec.string(), "--skip-path-checks"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("trials    1 = 1 points x 1 size x 1 seed"));
  std::ofstream(spec)
      << "name: one\nmodel: {depth: 2, heads: 2, context: 32, sizes: [{width: 32}]}\n"
         "data: {corpus: kjv}\noptimizer: {lr: 0.003, tau: 0.2}\n"
         "search: {method: random, trials: 4}\n";
  r = Augur({"validate", spec.string(), "--skip-path-checks"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr(spec.string() + ":5:"));
  EXPECT_THAT(r.err,
              HasSubstr("search.parameters: missing; random and sobol search need a parameter"));
}

TEST(AugurCliTest, MissingSpecFileIsAFailure) {
  Result r = Augur({"validate", "/nonexistent/spec.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, StartsWith("augur validate: cannot read spec file /nonexistent/spec.yaml"));
}

TEST(AugurCliTest, UsageErrorsExitTwo) {
  Result r = Augur({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command `frobnicate`"));
  EXPECT_EQ(Augur({}).code, 2);
  EXPECT_EQ(Augur({"validate"}).code, 2);
  r = Augur({"validate", "a.yaml", "--outptu", "json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean `--output`?"));
}

TEST(AugurCliTest, VersionAsTextAndJson) {
  Result r = Augur({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, StartsWith("augur 0."));
  r = Augur({"--output", "json", "version"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["api"], "augur.v1");
}

}  // namespace
