// submit, ls, status, stop, pause, resume, workers, export: one scheduler call each.
#include "cli/remote_commands.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/client.h"
#include "cli/curve_export.h"
#include "cli/spec.h"
#include "cli/spec_summary.h"
#include "cli/sweep_view.h"
#include "cli/table.h"
#include "common/text.h"

namespace augur::cli {
namespace {

absl::StatusOr<std::unique_ptr<SchedulerClient>> ConnectFor(const Invocation& inv) {
  absl::StatusOr<std::string> address = inv.SchedulerAddress();
  if (!address.ok()) return address.status();
  return SchedulerClient::Connect(*address);
}

absl::Status ExpectArgs(const Invocation& inv, size_t n, const char* what) {
  if (inv.args().size() != n) {
    return UsageError(Cat("expected ", what, ", got ", inv.args().size(),
                          inv.args().size() == 1 ? " argument" : " arguments"));
  }
  return absl::OkStatus();
}

std::string TokensText(const v1::Sweep& sweep) {
  std::string text = Cat(HumanCount(sweep.tokens_spent()), " of ", HumanCount(sweep.tokens_full()));
  if (sweep.tokens_full() > 0) {
    text += Cat(" (",
                std::lround(100.0 * static_cast<double>(sweep.tokens_spent()) /
                            static_cast<double>(sweep.tokens_full())),
                "%)");
  }
  return text;
}

class SubmitCommand : public Command {
 public:
  std::string name() const override { return "submit"; }
  std::string args_usage() const override { return "SPEC.yaml"; }
  std::string summary() const override { return "Validate a spec and submit it to the scheduler"; }
  std::string description() const override {
    return "Validates SPEC.yaml locally (as `augur validate` does), submits it to the scheduler\n"
           "and prints the new sweep's id and planned trial count. Workers pick the trials up;\n"
           "follow them with `augur top SWEEP --watch`.\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddBool("skip-path-checks",
                  "Do not require data.path and policy.model to exist here (the workers read them)",
                  &skip_path_checks_);
    flags.AddString("request-id", "ID",
                    "Idempotency key: submitting again with the same key returns the first sweep",
                    &request_id_);
  }
  absl::Status Run(Invocation& inv) override {
    if (absl::Status s = ExpectArgs(inv, 1, "one spec file"); !s.ok()) return s;
    const std::filesystem::path path = inv.args()[0];
    absl::StatusOr<std::string> text = ReadSpecFile(path);
    if (!text.ok()) return text.status();
    SpecParseOptions options;
    options.file_name = path.string();
    options.base_dir = path.parent_path();
    options.check_paths = !skip_path_checks_;
    SpecParseResult parsed = ParseSweepSpecDetailed(*text, options);
    if (!parsed.ok()) {
      inv.err() << parsed.ErrorText(path.string()) << "\n";
      return absl::InvalidArgumentError(Cat(path.string(), " has ", parsed.errors.size(),
                                            parsed.errors.size() == 1 ? " error" : " errors",
                                            "; nothing submitted"));
    }
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    v1::SubmitSweepRequest request;
    *request.mutable_spec() = parsed.spec;
    request.set_request_id(request_id_);
    v1::SubmitSweepResponse response;
    auto context = SchedulerClient::Context();
    if (absl::Status s = (*client)->Check(
            (*client)->stub().SubmitSweep(context.get(), request, &response), "SubmitSweep");
        !s.ok()) {
      return s;
    }
    const v1::Sweep& sweep = response.sweep();
    if (inv.output() == OutputFormat::kJson) {
      v1::Sweep shown = sweep;
      shown.mutable_spec()->clear_source_yaml();
      inv.out() << nlohmann::json{{"sweep_id", sweep.sweep_id()},
                                  {"planned_trials", response.planned_trials()},
                                  {"sweep", ProtoJson(shown)}}
                       .dump(2)
                << "\n";
      return absl::OkStatus();
    }
    inv.out() << "submitted sweep " << sweep.sweep_id() << " (" << sweep.spec().name() << ") to "
              << (*client)->address() << ": " << response.planned_trials() << " trials planned, "
              << HumanCount(sweep.tokens_full()) << " tokens if every trial ran to the end\n"
              << "follow it with: augur top " << sweep.sweep_id() << " --watch\n";
    return absl::OkStatus();
  }

 private:
  bool skip_path_checks_ = false;
  std::string request_id_;
};

class ListCommand : public Command {
 public:
  std::string name() const override { return "ls"; }
  std::string summary() const override { return "List sweeps, newest first"; }
  std::string description() const override {
    return "Lists the scheduler's sweeps: id, name, state, trials by state, tokens spent\n"
           "against running every trial to the end, and the best trial so far.\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddInt("limit", "N", "Show at most N sweeps (0 = all)", &limit_);
  }
  absl::Status Run(Invocation& inv) override {
    if (absl::Status s = ExpectArgs(inv, 0, "no arguments"); !s.ok()) return s;
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    std::vector<v1::Sweep> sweeps;
    std::string token;
    do {
      v1::ListSweepsRequest request;
      request.set_page_token(token);
      v1::ListSweepsResponse response;
      auto context = SchedulerClient::Context();
      if (absl::Status s = (*client)->Check(
              (*client)->stub().ListSweeps(context.get(), request, &response), "ListSweeps");
          !s.ok()) {
        return s;
      }
      for (const v1::Sweep& s : response.sweeps()) sweeps.push_back(s);
      token = response.next_page_token();
    } while (!token.empty() && (limit_ <= 0 || static_cast<int64_t>(sweeps.size()) < limit_));
    if (limit_ > 0 && static_cast<int64_t>(sweeps.size()) > limit_) sweeps.resize(limit_);
    if (inv.output() == OutputFormat::kJson) {
      nlohmann::json list = nlohmann::json::array();
      for (v1::Sweep& s : sweeps) {
        s.mutable_spec()->clear_source_yaml();
        list.push_back(ProtoJson(s));
      }
      inv.out() << nlohmann::json{{"sweeps", list}}.dump(2) << "\n";
      return absl::OkStatus();
    }
    if (sweeps.empty()) {
      inv.out() << "no sweeps on " << (*client)->address()
                << "; submit one with: augur submit SPEC.yaml\n";
      return absl::OkStatus();
    }
    Table table({"SWEEP", "NAME", "STATE", "TRIALS", "TOKENS (SPENT OF FULL)", "BEST", "CREATED"});
    for (const v1::Sweep& s : sweeps) {
      table.AddRow({s.sweep_id(), s.spec().name(), SweepStateName(s.state()), TrialCountsText(s),
                    TokensText(s), ShortTrialId(s.best_trial_id()), TimeText(s.created_unix_ms())});
    }
    table.Print(inv.out());
    return absl::OkStatus();
  }

 private:
  int64_t limit_ = 0;
};

}  // namespace

// Shared with `top` and `run`: the header lines of a sweep.
void PrintSweepHeader(const v1::Sweep& sweep, std::ostream& out) {
  out << "sweep " << sweep.sweep_id() << " (" << sweep.spec().name()
      << "): " << SweepStateName(sweep.state()) << ", " << TrialCountsText(sweep) << "\n"
      << "tokens: " << TokensText(sweep) << " if every trial ran to the end";
  if (!sweep.best_trial_id().empty())
    out << "; best so far " << ShortTrialId(sweep.best_trial_id());
  out << "\n";
}

void PrintDecisions(const std::vector<v1::Decision>& decisions, std::ostream& out) {
  for (const v1::Decision& d : decisions) {
    if (d.action() != v1::DECISION_ACTION_STOP) continue;
    out << "  " << TimeText(d.decided_unix_ms()) << "  stop " << ShortTrialId(d.trial_id())
        << " at " << std::lround(d.milestone_fraction() * 100) << "%: " << d.reason() << "\n";
  }
}

namespace {

class StatusCommand : public Command {
 public:
  std::string name() const override { return "status"; }
  std::string args_usage() const override { return "SWEEP"; }
  std::string summary() const override { return "Show a sweep with its ranking and decisions"; }
  std::string description() const override {
    return "Shows one sweep: state, trials by state, tokens spent against the full budget,\n"
           "the ranked trials and every stopping decision with its reason.\n";
  }
  absl::Status Run(Invocation& inv) override {
    if (absl::Status s = ExpectArgs(inv, 1, "one sweep id"); !s.ok()) return s;
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    absl::StatusOr<v1::GetSweepResponse> response = FetchSweep(**client, inv.args()[0]);
    if (!response.ok()) return response.status();
    response->mutable_sweep()->mutable_spec()->clear_source_yaml();
    if (inv.output() == OutputFormat::kJson) {
      for (auto& row : *response->mutable_ranking()) row.mutable_trial()->clear_config();
      inv.out() << ProtoJson(*response).dump(2) << "\n";
      return absl::OkStatus();
    }
    PrintSweepHeader(response->sweep(), inv.out());
    inv.out() << "\n";
    RankingTable({response->ranking().begin(), response->ranking().end()}).Print(inv.out());
    int stops = 0;
    for (const v1::Decision& d : response->decisions())
      stops += d.action() == v1::DECISION_ACTION_STOP;
    inv.out() << "\n"
              << response->decisions_size() << " decisions, " << stops << " stops"
              << (stops > 0 ? ":" : "") << "\n";
    PrintDecisions({response->decisions().begin(), response->decisions().end()}, inv.out());
    return absl::OkStatus();
  }
};

enum class Action { kStop, kPause, kResume };

class TrialActionCommand : public Command {
 public:
  explicit TrialActionCommand(Action action) : action_(action) {}
  std::string name() const override {
    return action_ == Action::kStop ? "stop" : action_ == Action::kPause ? "pause" : "resume";
  }
  std::string args_usage() const override { return "TRIAL"; }
  std::string summary() const override {
    switch (action_) {
      case Action::kStop:
        return "Stop a trial (it ends CANCELLED)";
      case Action::kPause:
        return "Pause a trial, keeping its checkpoint";
      default:
        return "Resume a paused trial from its checkpoint";
    }
  }
  std::string description() const override {
    const char* what =
        action_ == Action::kStop
            ? "Stops a pending, running or paused trial; it ends CANCELLED. Fails if the trial\n"
              "already ended.\n"
        : action_ == Action::kPause
            ? "Pauses a running or pending trial; it keeps its last checkpoint and resumes from\n"
              "it with `augur resume`.\n"
            : "Resumes a paused trial from its last checkpoint.\n";
    return Cat(what, "TRIAL is the full id shown by `augur status`, e.g. s-20261122-0001/t007.\n");
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddString("reason", "TEXT", "Recorded with the action", &reason_);
  }
  absl::Status Run(Invocation& inv) override {
    if (absl::Status s = ExpectArgs(inv, 1, "one trial id"); !s.ok()) return s;
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    v1::TrialActionRequest request;
    request.set_trial_id(inv.args()[0]);
    request.set_reason(reason_.empty() ? Cat(name(), " by augur ", name()) : reason_);
    v1::TrialActionResponse response;
    auto context = SchedulerClient::Context();
    SchedulerClient& c = **client;
    grpc::Status status;
    const char* call = "StopTrial";
    switch (action_) {
      case Action::kStop:
        status = c.stub().StopTrial(context.get(), request, &response);
        break;
      case Action::kPause:
        call = "PauseTrial";
        status = c.stub().PauseTrial(context.get(), request, &response);
        break;
      case Action::kResume:
        call = "ResumeTrial";
        status = c.stub().ResumeTrial(context.get(), request, &response);
        break;
    }
    if (absl::Status s = c.Check(status, call); !s.ok()) return s;
    response.mutable_trial()->clear_config();
    if (inv.output() == OutputFormat::kJson) {
      inv.out() << ProtoJson(response).dump(2) << "\n";
    } else {
      inv.out() << "trial " << response.trial().trial_id() << ": "
                << TrialStateName(response.trial().state()) << "\n";
    }
    return absl::OkStatus();
  }

 private:
  Action action_;
  std::string reason_;
};

class WorkersCommand : public Command {
 public:
  std::string name() const override { return "workers"; }
  std::string summary() const override { return "List workers, their slots and leases"; }
  std::string description() const override {
    return "Lists the workers the scheduler knows: host, device, free and total slots, the\n"
           "trials they hold and their last heartbeat.\n";
  }
  absl::Status Run(Invocation& inv) override {
    if (absl::Status s = ExpectArgs(inv, 0, "no arguments"); !s.ok()) return s;
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    v1::ListWorkersResponse response;
    auto context = SchedulerClient::Context();
    if (absl::Status s = (*client)->Check(
            (*client)->stub().ListWorkers(context.get(), v1::ListWorkersRequest(), &response),
            "ListWorkers");
        !s.ok()) {
      return s;
    }
    if (inv.output() == OutputFormat::kJson) {
      inv.out() << ProtoJson(response).dump(2) << "\n";
      return absl::OkStatus();
    }
    if (response.workers().empty()) {
      inv.out() << "no workers have registered with " << (*client)->address() << "\n";
      return absl::OkStatus();
    }
    Table table(
        {"WORKER", "HOST", "DEVICE", "SLOTS FREE/TOTAL", "CONNECTED", "TRIALS", "LAST HEARTBEAT"});
    for (const v1::WorkerInfo& w : response.workers()) {
      std::vector<std::string> trials;
      for (const std::string& t : w.trial_ids()) trials.push_back(ShortTrialId(t));
      table.AddRow({w.worker_id(), w.hostname(), w.device(),
                    Cat(w.free_slots(), "/", w.total_slots()), w.connected() ? "yes" : "no",
                    JoinText(trials, " "), TimeText(w.last_heartbeat_unix_ms())});
    }
    table.Print(inv.out());
    return absl::OkStatus();
  }
};

class ExportCommand : public Command {
 public:
  std::string name() const override { return "export"; }
  std::string args_usage() const override { return "SWEEP [TRIAL...]"; }
  std::string summary() const override { return "Export a sweep's curves as CSV or JSON"; }
  std::string description() const override {
    return "Writes every trial's durable curve (or the given trials') to stdout or --out.\n"
           "--format csv is the loss-curve format augur-predict reads (docs/curves.md): one row\n"
           "per point with the trial's controls (total_steps, schedule, peak_lr, weight_decay,\n"
           "tau, batch_tokens, params, tpp, seed) repeated on each row, plus state and\n"
           "reference columns. --format json has the trials as the scheduler holds them.\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddChoice("format", {"csv", "json"}, "File format", &format_);
    flags.AddString("out", "FILE", "Write here instead of stdout", &out_path_);
  }
  absl::Status Run(Invocation& inv) override {
    if (inv.args().empty()) return UsageError("expected a sweep id");
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    const std::string sweep_id = inv.args()[0];
    const std::vector<std::string> trials(inv.args().begin() + 1, inv.args().end());
    absl::StatusOr<std::vector<v1::TrialCurve>> curves = FetchCurves(**client, sweep_id, trials);
    if (!curves.ok()) return curves.status();
    for (v1::TrialCurve& c : *curves) c.mutable_trial()->clear_config();
    const std::string text =
        format_ == "csv" ? CurvesCsv(*curves, sweep_id) : CurvesJson(*curves).dump(2) + "\n";
    if (out_path_.empty()) {
      inv.out() << text;
      return absl::OkStatus();
    }
    std::ofstream file(out_path_, std::ios::binary);
    file << text;
    file.close();
    if (!file) return absl::PermissionDeniedError(Cat("cannot write ", out_path_));
    size_t points = 0;
    for (const auto& c : *curves) points += c.points_size();
    inv.err() << "wrote " << curves->size() << " trials, " << points << " points to " << out_path_
              << "\n";
    return absl::OkStatus();
  }

 private:
  std::string format_ = "csv";
  std::string out_path_;
};

}  // namespace

std::unique_ptr<Command> MakeSubmitCommand() { return std::make_unique<SubmitCommand>(); }
std::unique_ptr<Command> MakeListCommand() { return std::make_unique<ListCommand>(); }
std::unique_ptr<Command> MakeStatusCommand() { return std::make_unique<StatusCommand>(); }
std::unique_ptr<Command> MakeStopCommand() {
  return std::make_unique<TrialActionCommand>(Action::kStop);
}
std::unique_ptr<Command> MakePauseCommand() {
  return std::make_unique<TrialActionCommand>(Action::kPause);
}
std::unique_ptr<Command> MakeResumeCommand() {
  return std::make_unique<TrialActionCommand>(Action::kResume);
}
std::unique_ptr<Command> MakeWorkersCommand() { return std::make_unique<WorkersCommand>(); }
std::unique_ptr<Command> MakeExportCommand() { return std::make_unique<ExportCommand>(); }

}  // namespace augur::cli
