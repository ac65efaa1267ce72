// Command-line flags for one `augur` command, or for `augur-scheduler` and `augur-worker`.
//
// Why a small hand-written parser instead of a library: Abseil flags and gflags (installed)
// keep flags in a process-global registry defined at namespace scope, so every subcommand's
// flags would be accepted by every other subcommand, `--help` could not be per command, and
// tests could not parse two command lines in one process. Bookworm does package two
// subcommand-aware parsers, CLI11 2.1 (libcli11-dev) and cxxopts 3.1 (libcxxopts-dev), but the
// project does not install them; adding a system dependency for ~200 lines was not worth it,
// and both report errors by exception and own their help and exit paths, where the CLI wants
// absl::Status, its exit-code convention (2 = usage) and "did you mean" hints. What the CLI
// needs is small: `--name value`, `--name=value`, boolean `--name`, flags anywhere among the
// positional arguments, `--` to end flags.
//
// A FlagSet binds each flag to a caller-owned variable; the variable's value before parsing is
// the default shown in the help. Not thread-safe; build one per invocation.
#ifndef AUGUR_COMMON_FLAGS_H_
#define AUGUR_COMMON_FLAGS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace augur {

class FlagSet {
 public:
  // Each registration borrows `target`, which must outlive Parse().
  void AddString(std::string name, std::string value_name, std::string help, std::string* target);
  // A string restricted to `choices` (e.g. --output table|json).
  void AddChoice(std::string name, std::vector<std::string> choices, std::string help,
                 std::string* target);
  void AddInt(std::string name, std::string value_name, std::string help, int64_t* target);
  // `--name` sets true; `--name=false` sets false.
  void AddBool(std::string name, std::string help, bool* target);

  // When true, parsing stops at the first positional argument and returns it and everything
  // after it unparsed (used for the flags before the command name).
  void set_stop_at_positional(bool stop) { stop_at_positional_ = stop; }

  // Parses `args`, setting the bound variables; returns the positional arguments in order.
  // INVALID_ARGUMENT for an unknown flag (with a suggestion), a missing or malformed value.
  absl::StatusOr<std::vector<std::string>> Parse(std::span<const std::string> args) const;

  // One line per flag: "  --name VALUE  help (default: x)", aligned.
  std::string Help() const;
  bool empty() const { return flags_.empty(); }

 private:
  enum class Kind { kString, kChoice, kInt, kBool };
  struct Flag {
    std::string name;
    std::string value_name;
    std::string help;
    Kind kind;
    std::vector<std::string> choices;
    void* target;
    std::string default_text;
  };
  const Flag* Find(std::string_view name) const;
  absl::Status Set(const Flag& flag, const std::string& value) const;

  std::vector<Flag> flags_;
  bool stop_at_positional_ = false;
};

}  // namespace augur

#endif  // AUGUR_COMMON_FLAGS_H_
