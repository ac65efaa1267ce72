// The `augur` command framework: commands, the context they run in, and dispatch.
//
// Every command is a Command registered in a CommandRegistry; main() only builds the registry
// and calls RunCli(). RunCli owns the conventions so commands cannot drift from them:
// - Exit codes: 0 success; 2 usage error (bad flags, wrong arguments, unknown command);
//   1 any other failure. A failing command prints a one-line reason on stderr,
//   "augur <command>: <reason>". With `--output json` the reason is a JSON object on stderr
//   instead, {"error": {"command", "message", "code", "exit_code"}} (docs/json.md).
// - `--help` / `-h` for the top level and every command, and `augur help [COMMAND]`; every
//   command's help ends with examples.
// - Global flags, accepted before or after the command name: `--output table|json` and
//   `--scheduler HOST:PORT` (else env AUGUR_SCHEDULER, else 127.0.0.1:7070), resolved in one
//   place (Invocation::SchedulerAddress) for the commands that talk to a scheduler.
#ifndef AUGUR_CLI_COMMAND_H_
#define AUGUR_CLI_COMMAND_H_

#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/flags.h"

namespace augur::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

inline constexpr char kDefaultScheduler[] = "127.0.0.1:7070";
inline constexpr char kSchedulerEnv[] = "AUGUR_SCHEDULER";

enum class OutputFormat { kTable, kJson };

// A status meaning "the command line is wrong" (exit 2). Its code is INVALID_ARGUMENT; a
// payload tells it from an INVALID_ARGUMENT that a command reports as a failure (exit 1), such
// as a spec with errors.
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& status);

// "HOST:PORT" or "[IPv6]:PORT" with a port in 1..65535. INVALID_ARGUMENT otherwise.
absl::Status CheckHostPort(std::string_view address);

// Reads an environment variable; returns nullptr when unset. Injected so tests control it.
using GetEnvFn = std::function<const char*(const char*)>;

// What a running command sees. The streams are borrowed.
class Invocation {
 public:
  Invocation(std::ostream& out, std::ostream& err, GetEnvFn getenv)
      : out_(out), err_(err), getenv_(std::move(getenv)) {}

  std::ostream& out() const { return out_; }
  std::ostream& err() const { return err_; }
  OutputFormat output() const { return output_; }
  const std::vector<std::string>& args() const { return args_; }

  // The scheduler to call: --scheduler, else $AUGUR_SCHEDULER, else 127.0.0.1:7070.
  // A usage error (exit 2) if the chosen value is not HOST:PORT, naming where it came from.
  absl::StatusOr<std::string> SchedulerAddress() const;

 private:
  friend class CommandRegistry;
  std::ostream& out_;
  std::ostream& err_;
  GetEnvFn getenv_;
  OutputFormat output_ = OutputFormat::kTable;
  std::string scheduler_flag_;
  std::vector<std::string> args_;
};

class Command {
 public:
  virtual ~Command() = default;
  // Name typed after `augur`.
  virtual std::string name() const = 0;
  // Arguments after the name in the usage line, e.g. "SPEC.yaml".
  virtual std::string args_usage() const { return ""; }
  // One line for the command list.
  virtual std::string summary() const = 0;
  // Paragraphs for `augur NAME --help`.
  virtual std::string description() const = 0;
  // Example command lines for the end of `--help`, one per line, each optionally followed by
  // "  # what it does". Every command has at least one.
  virtual std::string examples() const = 0;
  // Registers the command's own flags, bound to members of the command.
  virtual void AddFlags(FlagSet& flags) {}
  // Runs with the parsed flags and positional arguments. Return UsageError() for a wrong
  // command line, any other error for a failure; the message becomes the one-line reason.
  virtual absl::Status Run(Invocation& invocation) = 0;
};

class CommandRegistry {
 public:
  // Takes ownership. Names must be unique (a programmer error otherwise: aborts).
  void Add(std::unique_ptr<Command> command);

  // Runs `augur` with `args` (without argv[0]) and returns the process exit code. The chosen
  // command's flags are parsed into its members, so one registry serves one command line.
  int Run(std::span<const std::string> args, std::ostream& out, std::ostream& err,
          GetEnvFn getenv) const;

  std::string TopLevelHelp() const;
  // `augur help --help`.
  std::string HelpHelp() const;
  // Registers the command's flags (bound to its members) to describe them.
  std::string CommandHelp(Command& command) const;

 private:
  Command* Find(std::string_view name) const;
  // The one-line reason (or the JSON error object) of a failed command on `err`; `command` is
  // empty for a failure before one was chosen.
  void PrintError(std::string_view command, const absl::Status& status, int exit_code, bool json,
                  std::ostream& err) const;

  std::vector<std::unique_ptr<Command>> commands_;
};

// The registry with every `augur` command (commands.cc).
CommandRegistry MakeAugurCommands();

}  // namespace augur::cli

#endif  // AUGUR_CLI_COMMAND_H_
