#include "cli/command.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_split.h"
#include "cli/yaml_reader.h"
#include "common/client_token.h"
#include "common/text.h"
#include "nlohmann/json.hpp"

namespace augur::cli {
namespace {

constexpr char kUsagePayload[] = "type.augur.dev/cli.UsageError";

// The global flags, bound to an invocation's fields.
struct GlobalFlags {
  std::string output = "table";
  std::string scheduler;
  std::string token, token_file;
  TlsClientFiles tls;
  bool help = false;

  void AddTo(FlagSet& flags) {
    flags.AddChoice("output", {"table", "json"}, "Output format", &output);
    flags.AddString(
        "scheduler", "HOST:PORT",
        Cat("Scheduler address (else $", kSchedulerEnv, ", else ", kDefaultScheduler, ")"),
        &scheduler);
    flags.AddString(
        "token", "TOKEN",
        Cat("Bearer token for a scheduler with --tokens-file (else --token-file, else $", kTokenEnv,
            ")"),
        &token);
    flags.AddString("token-file", "PATH", "File whose first line is the bearer token", &token_file);
    AddClientTlsFlags(flags, &tls);
    flags.AddBool("help", "Show help (also -h)", &help);
  }
};

}  // namespace

absl::Status UsageError(std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(std::string(message));
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::Status CheckHostPort(std::string_view address) {
  std::string_view host;
  std::string_view port;
  if (address.starts_with('[')) {
    const size_t close = address.find("]:");
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          Cat("got `", address, "`, expected [IPV6]:PORT, e.g. [::1]:7070"));
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          Cat("got `", address, "`, expected HOST:PORT, e.g. ", kDefaultScheduler));
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return absl::InvalidArgumentError(
          Cat("got `", address, "`, expected an IPv6 host in brackets, e.g. [::1]:7070"));
    }
  }
  int port_number = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (host.empty() || port.empty() || ec != std::errc() || ptr != port.data() + port.size() ||
      port_number < 1 || port_number > 65535) {
    return absl::InvalidArgumentError(
        Cat("got `", address, "`, expected HOST:PORT with a port in 1..65535"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Invocation::SchedulerAddress() const {
  std::string address = kDefaultScheduler;
  std::string source;
  if (!scheduler_flag_.empty()) {
    address = scheduler_flag_;
    source = "--scheduler";
  } else if (const char* env = getenv_ ? getenv_(kSchedulerEnv) : nullptr;
             env != nullptr && *env != '\0') {
    address = env;
    source = Cat("$", kSchedulerEnv);
  }
  if (absl::Status s = CheckHostPort(address); !s.ok()) {
    return UsageError(Cat(source, ": ", s.message()));
  }
  return address;
}

void CommandRegistry::Add(std::unique_ptr<Command> command) {
  if (Find(command->name()) != nullptr) {
    std::fprintf(stderr, "augur: command %s registered twice\n", command->name().c_str());
    std::abort();
  }
  commands_.push_back(std::move(command));
}

Command* CommandRegistry::Find(std::string_view name) const {
  for (const auto& command : commands_) {
    if (command->name() == name) return command.get();
  }
  return nullptr;
}

std::string CommandRegistry::TopLevelHelp() const {
  std::string out =
      "augur: hyperparameter sweeps for LLM pre-training that stop losing trials early.\n\n"
      "Usage: augur [global flags] COMMAND [arguments] [flags]\n\nCommands:\n";
  size_t width = 4;
  for (const auto& c : commands_) width = std::max(width, c->name().size());
  for (const auto& c : commands_) {
    out += Cat("  ", c->name(), std::string(width - c->name().size() + 2, ' '), c->summary(), "\n");
  }
  out += Cat("  help", std::string(width - 4 + 2, ' '), "Show help for a command\n");
  FlagSet flags;
  GlobalFlags globals;
  globals.AddTo(flags);
  out += Cat("\nGlobal flags (before or after the command):\n", flags.Help(),
             "\nRun 'augur COMMAND --help' for a command's arguments and flags.\n",
             "Exit status: 0 success, 1 failure, 2 usage error.\n");
  return out;
}

std::string CommandRegistry::CommandHelp(Command& command) const {
  std::string out = Cat("Usage: augur ", command.name());
  if (!command.args_usage().empty()) out += Cat(" ", command.args_usage());
  out += Cat(" [flags]\n\n", command.summary(), "\n\n", command.description());
  if (!out.ends_with("\n")) out += "\n";
  FlagSet own;
  command.AddFlags(own);  // Binds to the command's members; only their defaults are read.
  if (!own.empty()) out += Cat("\nFlags:\n", own.Help());
  FlagSet globals_set;
  GlobalFlags globals;
  globals.AddTo(globals_set);
  out += Cat("\nGlobal flags:\n", globals_set.Help());
  out += "\nExamples:\n";
  for (absl::string_view line : absl::StrSplit(command.examples(), '\n', absl::SkipEmpty()))
    out += Cat("  ", line, "\n");
  return out;
}

std::string CommandRegistry::HelpHelp() const {
  return "Usage: augur help [COMMAND]\n\n"
         "Shows the list of commands, or one command's arguments, flags and examples (the same\n"
         "as `augur COMMAND --help`).\n\n"
         "Examples:\n"
         "  augur help            # every command\n"
         "  augur help status     # the arguments and flags of `augur status`\n";
}

void CommandRegistry::PrintError(std::string_view command, const absl::Status& status,
                                 int exit_code, bool json, std::ostream& err) const {
  if (json) {
    nlohmann::json error = {
        {"command", std::string(command)},
        {"message", std::string(status.message())},
        {"code", IsUsageError(status)
                     ? std::string("usage")
                     : absl::AsciiStrToLower(absl::StatusCodeToString(status.code()))},
        {"exit_code", exit_code}};
    err << nlohmann::json{{"error", error}}.dump() << "\n";
    return;
  }
  err << "augur" << (command.empty() ? "" : " ") << command << ": " << status.message();
  if (exit_code == kExitUsage) {
    err << "\nRun 'augur" << (command.empty() ? "" : " ") << command << " --help' for usage.";
  }
  err << "\n";
}

int CommandRegistry::Run(std::span<const std::string> args, std::ostream& out, std::ostream& err,
                         GetEnvFn getenv) const {
  // Known before the flags parse, so that even a bad command line fails in JSON when asked.
  bool json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    json |= args[i] == "--output=json" ||
            (args[i] == "--output" && i + 1 < args.size() && args[i + 1] == "json");
  }
  GlobalFlags globals;
  FlagSet top;
  globals.AddTo(top);
  top.set_stop_at_positional(true);
  absl::StatusOr<std::vector<std::string>> rest = top.Parse(args);
  if (!rest.ok()) {
    PrintError("", UsageError(std::string(rest.status().message())), kExitUsage, json, err);
    return kExitUsage;
  }
  if (rest->empty()) {
    (globals.help ? out : err) << TopLevelHelp();
    return globals.help ? kExitOk : kExitUsage;
  }
  const std::string name = (*rest)[0];
  if (name == "help") {
    const bool help_of_help =
        globals.help || (rest->size() >= 2 &&
                         ((*rest)[1] == "--help" || (*rest)[1] == "-h" || (*rest)[1] == "help"));
    if (help_of_help) {
      out << HelpHelp();
      return kExitOk;
    }
    if (rest->size() < 2) {
      out << TopLevelHelp();
      return kExitOk;
    }
    Command* command = Find((*rest)[1]);
    if (command == nullptr) {
      PrintError("help", UsageError(Cat("unknown command `", (*rest)[1], "`")), kExitUsage, json,
                 err);
      return kExitUsage;
    }
    out << CommandHelp(*command);
    return kExitOk;
  }
  Command* found = Find(name);
  if (found == nullptr) {
    std::vector<std::string> names;
    for (const auto& c : commands_) names.push_back(c->name());
    names.push_back("help");
    const std::vector<std::string_view> views(names.begin(), names.end());
    const std::string suggestion = SuggestKey(name, views);
    PrintError("",
               UsageError(Cat(
                   "unknown command `", name, "`",
                   suggestion.empty() ? std::string() : Cat("; did you mean `", suggestion, "`?"))),
               kExitUsage, json, err);
    return kExitUsage;
  }
  Command& command = *found;
  FlagSet flags;
  command.AddFlags(flags);
  globals.AddTo(flags);
  absl::StatusOr<std::vector<std::string>> positional =
      flags.Parse(std::span<const std::string>(rest->data() + 1, rest->size() - 1));
  if (!positional.ok()) {
    PrintError(name, UsageError(std::string(positional.status().message())), kExitUsage, json, err);
    return kExitUsage;
  }
  if (globals.help) {
    out << CommandHelp(command);
    return kExitOk;
  }
  // Every scheduler connection of this command sends the token (cli/client.h).
  absl::StatusOr<std::string> token =
      ResolveClientToken(globals.token, globals.token_file, getenv ? getenv(kTokenEnv) : nullptr);
  if (!token.ok()) {
    err << "augur " << name << ": " << token.status().message() << "\n";
    return kExitFailure;
  }
  SetProcessClientToken(*token);
  ClientTlsFromEnv(getenv, &globals.tls);
  SetProcessClientTls(globals.tls);
  Invocation invocation(out, err, std::move(getenv));
  invocation.output_ = globals.output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
  invocation.scheduler_flag_ = globals.scheduler;
  invocation.args_ = std::move(*positional);
  absl::Status status;
  try {
    status = command.Run(invocation);
  } catch (const std::exception& e) {
    status = absl::InternalError(Cat("internal error: ", e.what()));
  }
  out.flush();
  if (status.ok()) return kExitOk;
  const int code = IsUsageError(status) ? kExitUsage : kExitFailure;
  PrintError(name, status, code, invocation.output_ == OutputFormat::kJson, err);
  return code;
}

}  // namespace augur::cli
