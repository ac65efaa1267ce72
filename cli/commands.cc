// The `augur` command registry, with `validate` and `version`; the commands that talk to a
// scheduler are in remote_commands.cc, top.cc, curves_command.cc and run_command.cc.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "cli/command.h"
#include "cli/remote_commands.h"
#include "cli/script_json.h"
#include "cli/spec.h"
#include "cli/spec_summary.h"
#include "cli/spec_warnings.h"
#include "common/text.h"
#include "nlohmann/json.hpp"

#ifndef AUGUR_VERSION
#define AUGUR_VERSION "unknown"
#endif

namespace augur::cli {
namespace {

class ValidateCommand : public Command {
 public:
  std::string name() const override { return "validate"; }
  std::string args_usage() const override { return "SPEC.yaml..."; }
  std::string summary() const override { return "Check sweep specs and show what they would run"; }
  std::string description() const override {
    return "Parses and validates each SPEC.yaml (docs/spec.md is the reference) without\n"
           "contacting the scheduler. On success prints the sweep: model sizes with parameter\n"
           "counts, the trials that would run, steps per size from the tokens-per-parameter\n"
           "budget, and the stopping policy, then warnings about sizes and times that look like\n"
           "mistakes (tens of thousands of trials, tens of billions of tokens, a large model on\n"
           "CPU, more than a week of training by a rough throughput estimate). On failure prints\n"
           "every error, one per line, as FILE:LINE:COLUMN: FIELD: MESSAGE. Exits 1 if any file\n"
           "is invalid (the others are still checked).\n"
           "With --output json prints {\"valid\", \"file\", \"summary\" | \"errors\", "
           "\"warnings\",\n"
           "\"spec\"} for one file, and {\"files\": [...]} of those for several.\n";
  }
  std::string examples() const override {
    return "augur validate examples/quickstart.yaml\n"
           "augur validate examples/*.yaml --skip-path-checks\n"
           "augur validate sweep.yaml --output json | jq .warnings\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddBool("skip-path-checks",
                  "Do not require data.path and policy.model to exist here (they are checked on "
                  "the workers)",
                  &skip_path_checks_);
  }

  absl::Status Run(Invocation& inv) override {
    if (inv.args().empty()) return UsageError("expected at least one spec file");
    const bool json = inv.output() == OutputFormat::kJson;
    nlohmann::json files = nlohmann::json::array();
    std::vector<std::string> failed;
    absl::Status last;
    for (size_t i = 0; i < inv.args().size(); ++i) {
      if (!json && i > 0) inv.out() << "\n";
      nlohmann::json result;
      absl::Status s = ValidateOne(inv.args()[i], inv, json ? &result : nullptr);
      if (json) files.push_back(std::move(result));
      if (!s.ok()) {
        failed.push_back(inv.args()[i]);
        last = s;
        // With several files each failure gets its line; the last line sums them up.
        if (!json && inv.args().size() > 1) inv.err() << "augur validate: " << s.message() << "\n";
      }
    }
    if (json)
      inv.out() << (files.size() == 1 ? files[0] : nlohmann::json{{"files", files}}).dump(2)
                << "\n";
    if (failed.empty()) return absl::OkStatus();
    if (failed.size() == 1 && inv.args().size() == 1) return last;
    return absl::InvalidArgumentError(Cat(failed.size(), " of ", inv.args().size(),
                                          " specs are invalid: ", JoinText(failed, ", ")));
  }

 private:
  // Checks one file: prints its summary or errors (table), or fills `json`.
  absl::Status ValidateOne(const std::string& file, Invocation& inv, nlohmann::json* json) {
    const std::filesystem::path path = file;
    absl::StatusOr<std::string> text = ReadSpecFile(path);
    if (!text.ok()) {
      if (json) {
        *json = {{"valid", false},
                 {"file", file},
                 {"errors", {{{"message", std::string(text.status().message())}}}}};
      }
      return text.status();
    }
    SpecParseOptions options;
    options.file_name = path.string();
    options.base_dir = path.parent_path();
    options.check_paths = !skip_path_checks_;
    SpecParseResult result = ParseSweepSpecDetailed(*text, options);
    if (!result.ok()) {
      if (json) {
        nlohmann::json errors = nlohmann::json::array();
        for (const SpecError& e : result.errors) {
          errors.push_back(
              {{"line", e.line}, {"column", e.column}, {"field", e.field}, {"message", e.message}});
        }
        *json = {{"valid", false}, {"file", file}, {"errors", errors}};
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
      const std::string message =
          Cat(path.string(), ": the scheduler's planner rejects the spec: ", planned.message());
      if (json) *json = {{"valid", false}, {"file", file}, {"errors", {{{"message", message}}}}};
      return absl::InvalidArgumentError(message);
    }
    const std::vector<std::string> warnings = SpecWarnings(result.spec, summary);
    if (!json) {
      PrintSummary(summary, inv.out());
      for (const std::string& w : warnings) inv.out() << "warning: " << w << "\n";
      return absl::OkStatus();
    }
    result.spec.clear_source_yaml();  // The file is at hand; keep the output readable.
    nlohmann::json summary_json = SummaryToJson(summary);
    summary_json["estimated_hours_one_worker"] = EstimatedHours(result.spec, summary);
    *json = {{"valid", true},
             {"file", file},
             {"summary", summary_json},
             {"warnings", warnings},
             {"spec", ScriptJson(result.spec)}};
    return absl::OkStatus();
  }

  bool skip_path_checks_ = false;
};

class VersionCommand : public Command {
 public:
  std::string name() const override { return "version"; }
  std::string summary() const override { return "Print the version of augur"; }
  std::string description() const override {
    return "Prints the client's version and the API it speaks (augur.v1).\n";
  }
  std::string examples() const override { return "augur version\naugur version --output json\n"; }
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
  r.Add(MakeDeleteCommand());
  r.Add(MakeTagCommand());
  r.Add(MakeNoteCommand());
  r.Add(MakeWorkersCommand());
  r.Add(MakeCertsCommand());
  r.Add(MakeTokenCommand());
  r.Add(std::make_unique<VersionCommand>());
  return r;
}

}  // namespace augur::cli
