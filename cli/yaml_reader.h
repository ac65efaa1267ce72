// Typed, error-collecting access to a parsed YAML document, used by the spec parser.
//
// yaml-cpp reports type mismatches by throwing; a spec parser that stopped at the first throw
// would show the user one error per run. YamlReader converts every read into an optional value
// plus a recorded SpecError that names the line, column, field path and offending value, so that
// one pass over a document finds every problem. It also remembers where each field was written,
// so checks that run after parsing (min < max, divisibility, ...) can still point at a line.
//
// Not thread-safe; one reader per parse.
#ifndef AUGUR_CLI_YAML_READER_H_
#define AUGUR_CLI_YAML_READER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/suggest.h"  // SuggestKey, EditDistance (were here).
#include "yaml-cpp/yaml.h"

namespace augur::cli {

// One problem found in a spec, located in its source text.
struct SpecError {
  int line = 0;         // 1-based; 0 when the position is unknown.
  int column = 0;       // 1-based; 0 when the position is unknown.
  std::string field;    // Dotted path such as "search.parameters.lr.min"; empty for syntax errors.
  std::string message;  // What was found and what was expected.

  // "file:line:column: field: message" (the field part is left out when empty).
  std::string ToString(std::string_view file) const;
};

// Short rendering of a node for messages: the scalar in backticks, or "a list" / "a map".
std::string Describe(const YAML::Node& node);

class YamlReader {
 public:
  // `errors` is borrowed and must outlive the reader; errors are appended to it.
  explicit YamlReader(std::vector<SpecError>* errors) : errors_(errors) {}

  // Records an error located at `at` (or, if `at` carries no position, at `field`'s location).
  void Error(const YAML::Node& at, std::string_view field, std::string message);
  // Records an error located where `field` (or its nearest written ancestor) was written,
  // unless `field` already has one: a value that failed to parse is not checked again.
  void ErrorAt(std::string_view field, std::string message);
  // True if any error was recorded.
  bool HasErrors() const { return !errors_->empty(); }
  // True if an error was recorded for exactly `field`.
  bool HasError(std::string_view field) const { return errored_.count(std::string(field)) > 0; }

  // Remembers where `field` was written. Every typed read below does this.
  void Remember(std::string_view field, const YAML::Node& node);
  // True if `field` was written in the document.
  bool Has(std::string_view field) const { return marks_.count(std::string(field)) > 0; }

  // A key that belongs elsewhere, e.g. {"lr", "optimizer.lr"} at the top level.
  struct KeyHint {
    std::string_view key;
    std::string_view belongs_at;
  };

  // Checks that `node` is a map; reports duplicate keys and keys not in `allowed`, suggesting
  // the closest allowed key, else where the key belongs per `hints`. Returns false (after
  // reporting) if it is not a map.
  bool ExpectMap(const YAML::Node& node, std::string_view field,
                 std::span<const std::string_view> allowed, std::span<const KeyHint> hints = {});
  // Checks that `node` is a sequence; returns false (after reporting) if not.
  bool ExpectList(const YAML::Node& node, std::string_view field);

  // Typed scalar reads. Each returns nullopt and records an error if `node` is not a scalar of
  // the type. Doubles must be finite.
  std::optional<double> Double(const YAML::Node& node, std::string_view field);
  std::optional<int64_t> Int(const YAML::Node& node, std::string_view field);
  std::optional<bool> Bool(const YAML::Node& node, std::string_view field);
  std::optional<std::string> String(const YAML::Node& node, std::string_view field);

 private:
  YAML::Mark MarkOf(std::string_view field) const;
  void AddError(const YAML::Mark& mark, std::string_view field, std::string message);

  std::vector<SpecError>* errors_;
  std::map<std::string, YAML::Mark, std::less<>> marks_;
  std::set<std::string, std::less<>> errored_;
};

}  // namespace augur::cli

#endif  // AUGUR_CLI_YAML_READER_H_
