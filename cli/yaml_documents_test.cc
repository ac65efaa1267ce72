#include "cli/yaml_documents.h"

#include "cli/spec.h"
#include "gtest/gtest.h"

namespace augur::cli {
namespace {

// These never returned with YAML::LoadAll (yaml-cpp 0.7; found by fuzzing, docs/fuzzing.md).
TEST(YamlDocuments, AStrayCommaIsAnErrorNotAHang) {
  for (const char* text : {",", ",\n  a:\n", ",a:", "# x\n,\n  context: 128\n"}) {
    EXPECT_TRUE(LoadFirstYamlDocument(text).first.IsNull()) << text;
    const SpecParseResult r = ParseSweepSpecDetailed(text, {});
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.errors[0].message, "the spec is empty") << text;
  }
}

TEST(YamlDocuments, ASecondDocumentIsFoundWithItsLine) {
  const YamlDocuments docs = LoadFirstYamlDocument("name: a\n---\nname: b\n");
  EXPECT_EQ(docs.first["name"].as<std::string>(), "a");
  ASSERT_TRUE(docs.second.has_value());
  EXPECT_EQ(docs.second->line, 1);
  EXPECT_FALSE(LoadFirstYamlDocument("name: a\n").second.has_value());
  EXPECT_THROW(LoadFirstYamlDocument("a: [1,\n"), YAML::ParserException);
}

}  // namespace
}  // namespace augur::cli
