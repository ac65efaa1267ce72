// Shared by spec.cc (structure: YAML to proto) and spec_checks.cc (defaults and semantic
// checks). Not part of the public API.
#ifndef AUGUR_CLI_SPEC_INTERNAL_H_
#define AUGUR_CLI_SPEC_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "augur/v1/sweep.pb.h"
#include "cli/spec.h"
#include "cli/yaml_reader.h"
#include "common/text.h"

namespace augur::cli::internal {

// The one named corpus: the King James Bible of Debian's bible-kjv-text, which the trainer
// extracts on the worker when DataSource.path is empty (trainer/data.h, DefaultCorpusPath).
inline constexpr char kKjvCorpus[] = "kjv";
// Where the bible-kjv-text package keeps its (compressed) text; checked by `validate`.
inline constexpr char kKjvDataFile[] = "/usr/lib/bible.data";

// Key of each search parameter in `search.parameters`.
std::string SearchParameterKey(augur::v1::SearchParameter parameter);

// "parent.key", or "key" at the top level.
std::string JoinField(std::string_view parent, std::string_view key);

// Typed optional children of a YAML map, read through `r` as field "parent.key": nullopt when
// the key is absent or its value has the wrong type (which is reported).
std::optional<std::string> ChildString(YamlReader& r, const YAML::Node& map,
                                       std::string_view parent, std::string_view key);
std::optional<double> ChildDouble(YamlReader& r, const YAML::Node& map, std::string_view parent,
                                  std::string_view key);
std::optional<int64_t> ChildInt64(YamlReader& r, const YAML::Node& map, std::string_view parent,
                                  std::string_view key);
std::optional<int32_t> ChildInt32(YamlReader& r, const YAML::Node& map, std::string_view parent,
                                  std::string_view key);
std::optional<bool> ChildBool(YamlReader& r, const YAML::Node& map, std::string_view parent,
                              std::string_view key);

// "got VALUE, expected EXPECTED" at `field`.
template <typename T>
void ReportBad(YamlReader& r, std::string_view field, const T& value, std::string_view expected) {
  r.ErrorAt(field, Cat("got ", value, ", expected ", expected));
}
// "is not used BY; remove it" at `field`: a field the chosen kind or method ignores.
void ReportNotUsed(YamlReader& r, std::string_view field, std::string_view by);

// Resolves a spec-relative path against options.base_dir (absolute, normalized) and, with
// options.check_paths, reports at `field` if it is not an existing regular file.
std::string ResolveSpecPath(const SpecParseOptions& options, YamlReader& r, std::string_view field,
                            const std::string& path);

// The `policy` section (spec_policy.cc): structure, then kind-dependent defaults and checks.
void ParsePolicy(YamlReader& r, const YAML::Node& node, augur::v1::StoppingPolicy& policy);
void CheckPolicy(const SpecParseOptions& options, YamlReader& r, augur::v1::StoppingPolicy& policy);

// Fills every default of `spec` and reports semantic errors (ranges, cross-field rules, paths)
// through `reader`, which remembers where each field was written. `reader.Has(field)` tells an
// explicit value from an unset one.
void ApplyDefaultsAndCheck(const SpecParseOptions& options, YamlReader& reader,
                           augur::v1::SweepSpec& spec);

}  // namespace augur::cli::internal

#endif  // AUGUR_CLI_SPEC_INTERNAL_H_
