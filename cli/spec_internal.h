// Shared by spec.cc (structure: YAML to proto) and spec_checks.cc (defaults and semantic
// checks). Not part of the public API.
#ifndef AUGUR_CLI_SPEC_INTERNAL_H_
#define AUGUR_CLI_SPEC_INTERNAL_H_

#include <string>

#include "augur/v1/sweep.pb.h"
#include "cli/spec.h"
#include "cli/yaml_reader.h"

namespace augur::cli::internal {

// The one named corpus: the King James Bible of Debian's bible-kjv-text, which the trainer
// extracts on the worker when DataSource.path is empty (trainer/data.h, DefaultCorpusPath).
inline constexpr char kKjvCorpus[] = "kjv";
// Where the bible-kjv-text package keeps its (compressed) text; checked by `validate`.
inline constexpr char kKjvDataFile[] = "/usr/lib/bible.data";

// Key of each search parameter in `search.parameters`.
std::string SearchParameterKey(augur::v1::SearchParameter parameter);

// Fills every default of `spec` and reports semantic errors (ranges, cross-field rules, paths)
// through `reader`, which remembers where each field was written. `reader.Has(field)` tells an
// explicit value from an unset one.
void ApplyDefaultsAndCheck(const SpecParseOptions& options, YamlReader& reader,
                           augur::v1::SweepSpec& spec);

}  // namespace augur::cli::internal

#endif  // AUGUR_CLI_SPEC_INTERNAL_H_
