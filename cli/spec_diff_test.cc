#include "cli/spec_diff.h"

#include "cli/spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kSpec[] = R"(name: s
model: {depth: 2, heads: 2, context: 32, sizes: [{width: 32}]}
data: {corpus: kjv}
optimizer: {tau: 0.2}
search:
  parameters:
    lr: [0.001, 0.01]
)";

v1::SweepSpec Parse(const std::string& yaml) {
  SpecParseOptions options;
  options.check_paths = false;
  auto spec = ParseSweepSpec(yaml, options);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : v1::SweepSpec();
}

TEST(SpecDiffTest, CommentsAndSpacingAreNoChange) {
  const std::string edited = std::string("# tuned on Monday\n") + kSpec + "\n\n   # the end\n";
  EXPECT_THAT(SpecDifferences(Parse(kSpec), Parse(edited)), IsEmpty());
}

TEST(SpecDiffTest, NamesWhatChanged) {
  std::string search = kSpec;
  search.replace(search.find("0.01]"), 5, "0.03]");
  EXPECT_THAT(SpecDifferences(Parse(kSpec), Parse(search)), ElementsAre("search.dimensions"));
  std::string two = search + "tokens_per_param: 40\n";
  two.replace(two.find("tau: 0.2"), 8, "tau: 0.3");
  EXPECT_THAT(SpecDifferences(Parse(kSpec), Parse(two)),
              ElementsAre("tokens_per_param", "optimizer.tau", "search.dimensions"));
}

}  // namespace
}  // namespace augur::cli
