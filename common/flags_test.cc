#include "common/flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Bound {
  std::string name = "x";
  std::string output = "table";
  int64_t count = 3;
  bool verbose = false;
  FlagSet flags;
  Bound() {
    flags.AddString("name", "NAME", "A name", &name);
    flags.AddChoice("output", {"table", "json"}, "Format", &output);
    flags.AddInt("count", "N", "A count", &count);
    flags.AddBool("verbose", "Talk more", &verbose);
  }
  absl::StatusOr<std::vector<std::string>> Parse(std::vector<std::string> args) {
    return flags.Parse(args);
  }
};

TEST(FlagSetTest, ParsesEveryFormAnywhereAmongPositionals) {
  Bound b;
  auto positional = b.Parse({"a.yaml", "--name", "n", "--count=7", "b", "--verbose",
                             "--output=json", "--", "--not-a-flag"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_THAT(*positional, ElementsAre("a.yaml", "b", "--not-a-flag"));
  EXPECT_EQ(b.name, "n");
  EXPECT_EQ(b.count, 7);
  EXPECT_TRUE(b.verbose);
  EXPECT_EQ(b.output, "json");
}

TEST(FlagSetTest, BoolTakesExplicitFalse) {
  Bound b;
  b.verbose = true;
  ASSERT_TRUE(b.Parse({"--verbose=false"}).ok());
  EXPECT_FALSE(b.verbose);
}

TEST(FlagSetTest, StopAtPositionalLeavesTheRestUnparsed) {
  Bound b;
  b.flags.set_stop_at_positional(true);
  auto rest = b.Parse({"--count", "2", "validate", "--count", "9"});
  ASSERT_TRUE(rest.ok());
  EXPECT_THAT(*rest, ElementsAre("validate", "--count", "9"));
  EXPECT_EQ(b.count, 2);
}

TEST(FlagSetTest, ErrorsNameTheFlagAndSuggest) {
  Bound b;
  EXPECT_THAT(b.Parse({"--verbos"}).status().message(),
              HasSubstr("unknown flag `--verbos`; did you mean `--verbose`?"));
  EXPECT_THAT(b.Parse({"--name"}).status().message(), HasSubstr("--name: missing value"));
  EXPECT_THAT(b.Parse({"--count", "x1"}).status().message(),
              HasSubstr("--count: got `x1`, expected an integer"));
  EXPECT_THAT(b.Parse({"--output", "xml"}).status().message(),
              HasSubstr("--output: got `xml`, expected one of table|json"));
  EXPECT_EQ(b.Parse({"--zzz"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FlagSetTest, HelpAlignsAndShowsDefaults) {
  Bound b;
  EXPECT_EQ(b.flags.Help(),
            "  --name NAME          A name (default: x)\n"
            "  --output table|json  Format (default: table)\n"
            "  --count N            A count (default: 3)\n"
            "  --verbose            Talk more\n");
}

}  // namespace
}  // namespace augur
