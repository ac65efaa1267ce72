// The YAML sweep spec: parsing into augur.v1.SweepSpec, defaults and validation, in one pass.
//
// docs/spec.md is the reference of the YAML form (every field, its default and constraints).
// The parser reports every problem it finds, not only the first: each SpecError names the
// line and column, the field path (e.g. `search.parameters.lr.min`), the value found and what
// was expected; unknown keys get a "did you mean" suggestion. A spec that parses is complete:
// every default is filled in, so the scheduler and the summary never guess.
//
// Paths in the spec (data.path, policy.model) are resolved against the folder of the spec file
// and stored absolute. Thread-safe (no shared state).
#ifndef AUGUR_CLI_SPEC_H_
#define AUGUR_CLI_SPEC_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "augur/v1/sweep.pb.h"
#include "cli/yaml_reader.h"

namespace augur::cli {

struct SpecParseOptions {
  // Name used in error messages, normally the spec file's path as the user typed it.
  std::string file_name = "<spec>";
  // Folder that relative paths in the spec resolve against. Empty = the current directory.
  std::filesystem::path base_dir;
  // Check that data.path and policy.model exist on this machine. Off when the files live only
  // on the workers (the paths are still resolved).
  bool check_paths = true;
};

// The outcome of a parse: a complete spec when `errors` is empty.
struct SpecParseResult {
  augur::v1::SweepSpec spec;
  std::vector<SpecError> errors;  // In document order within each check pass.

  bool ok() const { return errors.empty(); }
  // One "file:line:column: field: message" line per error, joined by '\n'.
  std::string ErrorText(std::string_view file_name) const;
};

// Parses and validates YAML text. Never throws.
SpecParseResult ParseSweepSpecDetailed(std::string_view yaml, const SpecParseOptions& options);

// As above; INVALID_ARGUMENT with one error per line of the message when the spec is bad.
absl::StatusOr<augur::v1::SweepSpec> ParseSweepSpec(std::string_view yaml,
                                                    const SpecParseOptions& options);

// Reads `path` and parses it with file_name = path and base_dir = its folder.
// NOT_FOUND if the file cannot be read; INVALID_ARGUMENT for a bad spec.
absl::StatusOr<augur::v1::SweepSpec> LoadSweepSpec(const std::filesystem::path& path,
                                                   bool check_paths = true);

// Reads a spec file's text. NOT_FOUND (with the path and OS reason) if it cannot be read.
absl::StatusOr<std::string> ReadSpecFile(const std::filesystem::path& path);

}  // namespace augur::cli

#endif  // AUGUR_CLI_SPEC_H_
