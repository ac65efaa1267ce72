#include "cli/spec_summary.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/spec.h"
#include "common/test_temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A folder of this process (ctest runs test cases in parallel processes), removed at exit.
std::filesystem::path TestDir() {
  static const augur::testing::TempDir dir("summary_test");
  return dir.path();
}

augur::v1::SweepSpec Parse(const std::string& yaml) {
  const auto dir = TestDir();
  std::ofstream(dir / "corpus.txt") << std::string(1000, 'a');
  SpecParseOptions options;
  options.base_dir = dir;
  SpecParseResult r = ParseSweepSpecDetailed(yaml, options);
  EXPECT_TRUE(r.ok()) << r.ErrorText("spec");
  return r.spec;
}

// width 64, depth 2, mlp 4: blocks 2 x (4*64^2 + 2*64*256 + 4*64) + final norm 2*64 = 98944
// non-embedding parameters; 20 TPP = 1978880 tokens; / (32 x 128) = 483.1 -> 483 steps.
constexpr char kGrid[] = R"(name: g
model:
  depth: 2
  heads: 4
  context: 128
  sizes: [{width: 32, reference_only: true}, {width: 64}]
data: {path: corpus.txt}
search:
  parameters:
    lr: [0.001, 0.003, 0.01]
    tau: {min: 0.1, max: 0.4, log: true}
seeds: [0, 1]
)";

TEST(SpecSummaryTest, GridCountsPointsSizesAndSeeds) {
  const SweepSummary s = Summarize(Parse(kGrid));
  EXPECT_EQ(s.points_per_size, 9);
  EXPECT_EQ(s.searched_sizes, 1);
  EXPECT_EQ(s.seeds, 2);
  EXPECT_EQ(s.trials, 18);
  ASSERT_EQ(s.sizes.size(), 2u);
  EXPECT_EQ(s.sizes[1].params.non_embedding, 98944);
  EXPECT_EQ(s.sizes[1].params.total, 98944 + 2 * 256 * 64 + 128 * 64);
  EXPECT_EQ(s.sizes[1].budget_tokens, 1978880);
  EXPECT_THAT(s.sizes[1].batch_sequences, ElementsAre(32));
  EXPECT_THAT(s.sizes[1].steps, ElementsAre(483));
  EXPECT_TRUE(s.sizes[0].reference_only);
  EXPECT_EQ(s.full_tokens, 18 * 1978880);
  EXPECT_EQ(s.data_tokens, 1000);
  EXPECT_EQ(s.search, "grid 9 points: lr [0.001, 0.003, 0.01] x tau log[0.1, 0.4] (3 points)");
  EXPECT_THAT(s.policy, HasSubstr("collapse at 0.1, 0.15 of training, per model size; stop a "
                                  "trial when its chance to end better than the leader by more "
                                  "than 0.1% is below 5%; at the last milestone keep the top 1 per "
                                  "reference"));
}

TEST(SpecSummaryTest, PlanAddsOneReferenceRunPerTauGroup) {
  const augur::v1::SweepSpec spec = Parse(kGrid);
  SweepSummary s = Summarize(spec);
  ASSERT_TRUE(AddPlan(spec, s).ok());
  // 3 taus are 3 collapse groups; each gets one run of the reference_only w32 size.
  EXPECT_EQ(s.planned_references, 3);
  EXPECT_EQ(s.planned_trials, 18 + 3);
  // w32: 2 x (4*32^2 + 2*32*128 + 4*32) + 2*32 = 24896 params; 20 TPP / 4096 = 121.6 -> 122.
  EXPECT_EQ(s.planned_tokens, 18 * 483 * 4096 + 3 * 122 * 4096);
  std::ostringstream out;
  PrintSummary(s, out);
  EXPECT_THAT(out.str(), HasSubstr("18 = 9 points x 1 size x 2 seeds, + 3 collapse reference "
                                   "runs = 21 planned"));
  // What the references cost, against the full sweep, and why: 3 x 122 x 4096 = 1,499,136 tokens,
  // 1,499,136 / (18 x 483 x 4096) = 4.2%.
  EXPECT_THAT(out.str(), HasSubstr("refs      +1.49M tokens, 4.2% of the full sweep: one "
                                   "complete run at a smaller width per tau"));
}

TEST(SpecSummaryTest, RandomSearchAndBatchSweepGiveStepsPerBatch) {
  const SweepSummary s = Summarize(Parse(R"(name: r
model: {sizes: [{width: 64, depth: 2, heads: 4, context: 128}, {width: 128, depth: 2, heads: 4, context: 128}]}
data: {path: corpus.txt}
optimizer: {lr: 0.01, tau: 0.2}
search:
  method: random
  trials: 5
  parameters:
    batch_sequences: [16, 64]
)"));
  EXPECT_EQ(s.points_per_size, 5);
  EXPECT_EQ(s.trials, 10);
  EXPECT_THAT(s.sizes[0].batch_sequences, ElementsAre(16, 64));
  EXPECT_THAT(s.sizes[0].steps, ElementsAre(966, 242));  // 1978880 / 2048 and / 8192.
}

TEST(SpecSummaryTest, PrintAndJsonCarryTheNumbers) {
  const SweepSummary s = Summarize(Parse(kGrid));
  std::ostringstream out;
  PrintSummary(s, out);
  EXPECT_THAT(out.str(), HasSubstr("trials    18 = 9 points x 1 size x 2 seeds"));
  EXPECT_THAT(out.str(), HasSubstr("w64"));
  const nlohmann::json j = SummaryToJson(s);
  EXPECT_EQ(j["trials"], 18);
  EXPECT_EQ(j["sizes"][1]["steps"][0]["steps"], 483);
  EXPECT_EQ(j["sizes"][1]["params_non_embedding"], 98944);
}

}  // namespace
}  // namespace augur::cli
