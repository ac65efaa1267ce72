#include "cli/spec_warnings.h"

#include <string>

#include "cli/spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Warnings(const std::string& yaml, double* hours = nullptr) {
  SpecParseOptions options;
  options.check_paths = false;
  auto spec = ParseSweepSpec(yaml, options);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return {};
  SweepSummary summary = Summarize(*spec);
  EXPECT_TRUE(AddPlan(*spec, summary).ok());
  if (hours) *hours = EstimatedHours(*spec, summary);
  return SpecWarnings(*spec, summary);
}

TEST(SpecWarningsTest, ASmallSweepHasNone) {
  double hours = 0;
  EXPECT_THAT(Warnings(R"(name: s
model: {depth: 2, heads: 2, context: 32, sizes: [{width: 32}]}
data: {corpus: kjv}
optimizer: {tau: 0.2}
search: {parameters: {lr: [0.001, 0.01]}}
)",
                       &hours),
              IsEmpty());
  EXPECT_GT(hours, 0);
  EXPECT_LT(hours, 1);
}

TEST(SpecWarningsTest, HugeSizesTokensAndTimesAreWarnedAbout) {
  const std::vector<std::string> w = Warnings(R"(name: huge
model: {depth: 48, heads: 64, context: 2048, vocab: 50304, sizes: [{width: 12288}]}
data: {corpus: kjv}
optimizer: {tau: 0.2}
policy: {kind: none}
search: {method: random, trials: 20000, parameters: {lr: {min: 0.0001, max: 0.01, log: true}}}
)");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_THAT(w[0], HasSubstr("20000 trials planned"));
  EXPECT_THAT(w[1], HasSubstr("T tokens if every trial ran to the end"));
  EXPECT_THAT(w[2], HasSubstr("size w12288 has 88.24B parameters and resources.gpus is 0"));
  EXPECT_THAT(w[3], HasSubstr("days to run every trial to the end on one 2-core CPU worker"));
}

TEST(SpecWarningsTest, TheTimeEstimateScalesWithTheHardware) {
  const std::string base = R"(name: m
model: {depth: 12, heads: 12, context: 1024, sizes: [{width: 768}]}
data: {corpus: kjv}
optimizer: {tau: 0.2}
policy: {kind: none}
search: {parameters: {lr: [0.001, 0.003]}}
)";
  double cpu = 0, gpu = 0;
  Warnings(base, &cpu);
  Warnings(base + "resources: {gpus: 2}\n", &gpu);
  EXPECT_DOUBLE_EQ(cpu / gpu, 2 * kGpuFlops / kCpuWorkerFlops);
}

}  // namespace
}  // namespace augur::cli
