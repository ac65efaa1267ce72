// Loading a YAML stream that should hold one document, without YAML::LoadAll: in yaml-cpp 0.7
// (Debian bookworm) LoadAll never returns on some malformed input, e.g. a file that starts with
// a stray ',' (yaml-cpp issue #1040; fixed upstream by PR #1319, after 0.7.0): it appends null
// documents until memory runs out. Found by the sweep-spec fuzzer (docs/fuzzing.md).
#ifndef AUGUR_CLI_YAML_DOCUMENTS_H_
#define AUGUR_CLI_YAML_DOCUMENTS_H_

#include <optional>
#include <string>

#include "yaml-cpp/yaml.h"

namespace augur::cli {

struct YamlDocuments {
  YAML::Node first;                  // Null for an empty stream.
  std::optional<YAML::Mark> second;  // Where a second document starts, if there is one.
};

// Parses the first document and looks for a second, reading at most two. Throws what
// YAML::Load throws (YAML::ParserException with a mark) for a syntax error.
YamlDocuments LoadFirstYamlDocument(const std::string& text);

}  // namespace augur::cli

#endif  // AUGUR_CLI_YAML_DOCUMENTS_H_
