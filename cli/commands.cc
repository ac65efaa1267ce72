// The `augur` commands. Commands that need the scheduler client are registered with their help
// and fail honestly ("not implemented yet") until their issue lands.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "cli/command.h"
#include "cli/spec.h"
#include "cli/spec_summary.h"
#include "cli/text.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

#ifndef AUGUR_VERSION
#define AUGUR_VERSION "unknown"
#endif

namespace augur::cli {
namespace {

class ValidateCommand : public Command {
 public:
  std::string name() const override { return "validate"; }
  std::string args_usage() const override { return "SPEC.yaml"; }
  std::string summary() const override { return "Check a sweep spec and show what it would run"; }
  std::string description() const override {
    return "Parses and validates SPEC.yaml (docs/spec.md is the reference) without contacting\n"
           "the scheduler. On success prints the sweep: model sizes with parameter counts,\n"
           "the trials that would run, steps per size from the tokens-per-parameter budget, and\n"
           "the stopping policy. On failure prints every error, one per line, as\n"
           "FILE:LINE:COLUMN: FIELD: MESSAGE, and exits 1.\n"
           "With --output json prints {\"valid\": ..., \"summary\" | \"errors\", \"spec\"}.\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddBool("skip-path-checks",
                  "Do not require data.path and policy.model to exist here (they are checked on "
                  "the workers)",
                  &skip_path_checks_);
  }

  absl::Status Run(Invocation& inv) override {
    if (inv.args().size() != 1) {
      return UsageError(Cat("expected one spec file, got ", inv.args().size(), " arguments"));
    }
    const std::filesystem::path path = inv.args()[0];
    absl::StatusOr<std::string> text = ReadSpecFile(path);
    if (!text.ok()) return text.status();
    SpecParseOptions options;
    options.file_name = path.string();
    options.base_dir = path.parent_path();
    options.check_paths = !skip_path_checks_;
    SpecParseResult result = ParseSweepSpecDetailed(*text, options);
    const bool json = inv.output() == OutputFormat::kJson;
    if (!result.ok()) {
      if (json) {
        nlohmann::json errors = nlohmann::json::array();
        for (const SpecError& e : result.errors) {
          errors.push_back(
              {{"line", e.line}, {"column", e.column}, {"field", e.field}, {"message", e.message}});
        }
        inv.out()
            << nlohmann::json{{"valid", false}, {"file", path.string()}, {"errors", errors}}.dump(2)
            << "\n";
      } else {
        inv.err() << result.ErrorText(path.string()) << "\n";
      }
      return absl::InvalidArgumentError(Cat(path.string(), " has ", result.errors.size(),
                                            result.errors.size() == 1 ? " error" : " errors"));
    }
    SweepSummary summary = Summarize(result.spec);
    // The planner re-checks what planning relies on; a spec the parser accepts and the planner
    // rejects is a disagreement between the two, reported rather than hidden.
    if (absl::Status planned = AddPlan(result.spec, summary); !planned.ok()) {
      return absl::InvalidArgumentError(
          Cat("the scheduler's planner rejects the spec: ", planned.message()));
    }
    if (!json) {
      PrintSummary(summary, inv.out());
      return absl::OkStatus();
    }
    google::protobuf::util::JsonPrintOptions proto_options;
    proto_options.preserve_proto_field_names = true;
    proto_options.always_print_primitive_fields = true;
    std::string spec_json;
    result.spec.clear_source_yaml();  // The file is at hand; keep the output readable.
    if (auto s =
            google::protobuf::util::MessageToJsonString(result.spec, &spec_json, proto_options);
        !s.ok()) {
      return absl::InternalError(Cat("cannot print the spec as JSON: ", s.ToString()));
    }
    inv.out() << nlohmann::json{{"valid", true},
                                {"file", path.string()},
                                {"summary", SummaryToJson(summary)},
                                {"spec", nlohmann::json::parse(spec_json)}}
                     .dump(2)
              << "\n";
    return absl::OkStatus();
  }

 private:
  bool skip_path_checks_ = false;
};

class VersionCommand : public Command {
 public:
  std::string name() const override { return "version"; }
  std::string summary() const override { return "Print the version of augur"; }
  std::string description() const override {
    return "Prints the client's version and the API it speaks (augur.v1).\n";
  }
  absl::Status Run(Invocation& inv) override {
    if (!inv.args().empty()) return UsageError("takes no arguments");
    if (inv.output() == OutputFormat::kJson) {
      inv.out() << nlohmann::json{{"version", AUGUR_VERSION}, {"api", "augur.v1"}}.dump(2) << "\n";
    } else {
      inv.out() << "augur " << AUGUR_VERSION << " (API augur.v1)\n";
    }
    return absl::OkStatus();
  }
};

// A command whose help is final but whose implementation has not landed yet.
class PlannedCommand : public Command {
 public:
  PlannedCommand(std::string name, std::string args, std::string summary, std::string description)
      : name_(std::move(name)),
        args_(std::move(args)),
        summary_(std::move(summary)),
        description_(std::move(description)) {}
  std::string name() const override { return name_; }
  std::string args_usage() const override { return args_; }
  std::string summary() const override { return summary_; }
  std::string description() const override {
    return description_ + "\nNot implemented yet: this build of augur only has its help.\n";
  }
  absl::Status Run(Invocation&) override {
    return absl::UnimplementedError("not implemented yet in this build of augur");
  }

 private:
  std::string name_, args_, summary_, description_;
};

}  // namespace

CommandRegistry MakeAugurCommands() {
  CommandRegistry r;
  const auto planned = [&r](std::string name, std::string args, std::string summary,
                            std::string description) {
    r.Add(std::make_unique<PlannedCommand>(std::move(name), std::move(args), std::move(summary),
                                           std::move(description)));
  };
  r.Add(std::make_unique<ValidateCommand>());
  planned("submit", "SPEC.yaml", "Validate a spec and submit it to the scheduler",
          "Validates SPEC.yaml locally (as `augur validate` does), submits it to the scheduler\n"
          "and prints the new sweep's id and planned trial count.\n");
  planned("run", "SPEC.yaml", "Run a sweep on this machine, without a cluster",
          "Starts an embedded scheduler and local workers (CPU or the local GPUs) in one\n"
          "process, runs SPEC.yaml to the end and shows the live ranking.\n");
  planned("ls", "", "List sweeps, newest first",
          "Lists the scheduler's sweeps: id, name, state, trials by state, tokens spent.\n");
  planned("status", "SWEEP", "Show a sweep with its ranking and decisions",
          "Shows one sweep: state, trials by state, tokens spent against the full budget,\n"
          "the ranked trials and every stopping decision with its reason.\n");
  planned("top", "SWEEP", "Live ranking of a sweep's trials",
          "Shows the live ranking: progress, current loss, predicted final loss with its\n"
          "interval, deviation from the collapse, and why stopped trials were stopped.\n");
  planned("curves", "SWEEP [TRIAL...]", "Print trials' loss curves",
          "Prints the durable loss points (step, tokens, train and validation loss, LR) of a\n"
          "sweep's trials, or of the given trials.\n");
  planned("export", "SWEEP", "Export a sweep's curves and decisions to files",
          "Writes every trial's curve as CSV (the format augur-predict reads) plus the\n"
          "decisions, for offline analysis.\n");
  planned("stop", "TRIAL", "Stop a trial (it ends CANCELLED)",
          "Stops a pending, running or paused trial. Fails if the trial already ended.\n");
  planned("pause", "TRIAL", "Pause a trial, keeping its checkpoint",
          "Pauses a running or pending trial; it keeps its last checkpoint.\n");
  planned("resume", "TRIAL", "Resume a paused trial from its checkpoint",
          "Resumes a paused trial from its last checkpoint.\n");
  planned("workers", "", "List workers, their slots and leases",
          "Lists the workers the scheduler knows: host, device, free and total slots, the\n"
          "trials they hold and their last heartbeat.\n");
  r.Add(std::make_unique<VersionCommand>());
  return r;
}

}  // namespace augur::cli
