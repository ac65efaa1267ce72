#include "cli/yaml_reader.h"

#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace augur::cli {
namespace {

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("warmup_fracton", "warmup_fraction"), 1u);
}

TEST(SuggestKeyTest, SuggestsCloseKeysAndAbbreviationsOnly) {
  constexpr std::string_view kKeys[] = {"shape", "warmup_fraction", "decay_fraction"};
  EXPECT_EQ(SuggestKey("warmup_fracton", kKeys), "warmup_fraction");
  EXPECT_EQ(SuggestKey("warmup", kKeys), "warmup_fraction");
  EXPECT_EQ(SuggestKey("shap", kKeys), "shape");
  EXPECT_EQ(SuggestKey("learning_rate", kKeys), "");
}

TEST(SpecErrorTest, FormatsFileLineColumnFieldMessage) {
  SpecError e{3, 7, "schedule.shape", "got `x`, expected y"};
  EXPECT_EQ(e.ToString("a.yaml"), "a.yaml:3:7: schedule.shape: got `x`, expected y");
  SpecError syntax{0, 0, "", "bad"};
  EXPECT_EQ(syntax.ToString("a.yaml"), "a.yaml: bad");
}

TEST(YamlReaderTest, TypedReadsReportWrongTypesWithPosition) {
  std::vector<SpecError> errors;
  YamlReader reader(&errors);
  const YAML::Node root = YAML::Load("a: 1.5\nb: seven\nc: [1]\nd: .inf\n");
  EXPECT_EQ(reader.Double(root["a"], "a"), 1.5);
  EXPECT_FALSE(reader.Int(root["a"], "a").has_value());
  EXPECT_FALSE(reader.Double(root["b"], "b").has_value());
  EXPECT_FALSE(reader.String(root["c"], "c").has_value());
  EXPECT_FALSE(reader.Double(root["d"], "d").has_value());
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].ToString("f"), "f:1:4: a: got `1.5`, expected an integer");
  EXPECT_EQ(errors[1].ToString("f"), "f:2:4: b: got `seven`, expected a finite number");
  EXPECT_EQ(errors[2].ToString("f"), "f:3:4: c: got a list, expected a string");
  EXPECT_EQ(errors[3].ToString("f"), "f:4:4: d: got `.inf`, expected a finite number");
  EXPECT_TRUE(reader.Has("a"));
  EXPECT_FALSE(reader.Has("zzz"));
}

TEST(YamlReaderTest, ErrorAtUsesNearestRememberedAncestor) {
  std::vector<SpecError> errors;
  YamlReader reader(&errors);
  const YAML::Node root = YAML::Load("x: 1\nouter:\n  inner: 2\n");
  reader.Remember("", root);
  reader.Remember("outer", root["outer"]);
  reader.ErrorAt("outer.missing", "missing");
  reader.ErrorAt("other", "missing");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 3);  // Where the map `outer` starts.
  EXPECT_EQ(errors[1].line, 1);  // The document.
}

TEST(YamlReaderTest, ExpectMapReportsUnknownAndDuplicateKeys) {
  std::vector<SpecError> errors;
  YamlReader reader(&errors);
  constexpr std::string_view kKeys[] = {"min", "max"};
  EXPECT_TRUE(reader.ExpectMap(YAML::Load("min: 1\nmaxx: 2\nmin: 3\nzzzzzz: 1"), "r", kKeys));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].ToString("f"), "f:2:1: r.maxx: unknown key `maxx`; did you mean `max`?");
  EXPECT_EQ(errors[1].ToString("f"), "f:3:1: r.min: duplicate key");
  EXPECT_EQ(errors[2].ToString("f"),
            "f:4:1: r.zzzzzz: unknown key `zzzzzz`; expected one of min, max");
  EXPECT_FALSE(reader.ExpectMap(YAML::Load("[1, 2]"), "r", kKeys));
}

}  // namespace
}  // namespace augur::cli
