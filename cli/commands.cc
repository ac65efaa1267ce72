// The `augur` command registry, with `validate` and `version`; the commands that talk to a
// scheduler are in remote_commands.cc, top.cc, curves_command.cc and run_command.cc.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "cli/command.h"
#include "cli/remote_commands.h"
#include "cli/spec.h"
#include "cli/spec_summary.h"
#include "common/text.h"
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

}  // namespace

CommandRegistry MakeAugurCommands() {
  CommandRegistry r;
  r.Add(std::make_unique<ValidateCommand>());
  r.Add(MakeSubmitCommand());
  r.Add(MakeRunCommand());
  r.Add(MakeListCommand());
  r.Add(MakeStatusCommand());
  r.Add(MakeTopCommand());
  r.Add(MakeCurvesCommand());
  r.Add(MakeExportCommand());
  r.Add(MakeStopCommand());
  r.Add(MakePauseCommand());
  r.Add(MakeResumeCommand());
  r.Add(MakeWorkersCommand());
  r.Add(std::make_unique<VersionCommand>());
  return r;
}

}  // namespace augur::cli
