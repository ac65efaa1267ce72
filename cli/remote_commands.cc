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
#include "cli/script_json.h"
#include "cli/spec.h"
#include "cli/spec_summary.h"
#include "cli/sweep_view.h"
#include "cli/table.h"
#include "common/text.h"

namespace augur::cli {

absl::StatusOr<std::unique_ptr<SchedulerClient>> ConnectFor(const Invocation& inv) {
  absl::StatusOr<std::string> address = inv.SchedulerAddress();
  if (!address.ok()) return address.status();
  return SchedulerClient::Connect(*address);
}

namespace {

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
           "follow them with `augur top SWEEP --watch`. The scheduler refuses a sweep over its\n"
           "limits (trials, points per trial, tokens) with a message naming the limit.\n";
  }
  std::string examples() const override {
    return "augur submit examples/quickstart.yaml\n"
           "augur submit sweep.yaml --request-id nightly-42 --output json\n";
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
                                  {"sweep", ScriptJson(shown)}}
                       .dump(2)
                << "\n";
      return absl::OkStatus();
    }
    inv.out() << "submitted sweep " << sweep.sweep_id() << " (" << sweep.spec().name() << ") to "
              << (*client)->address() << ": " << response.planned_trials() << " trials planned, "
              << HumanCount(sweep.tokens_full()) << " tokens if every trial ran to the end\n"
              << "follow it with: augur top " << sweep.sweep_id() << " --watch\n";
    if (!sweep.waiting_reason().empty()) {
      inv.out() << "its trials ask for GPUs: " << sweep.waiting_reason() << "\n";
    }
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
           "against running every trial to the end, the best trial so far (the ranking's\n"
           "first: final, else predicted, else current loss) and tags.\n"
           "Pages through the scheduler's list; --limit stops early.\n";
  }
  std::string examples() const override {
    return "augur ls\n"
           "augur ls --limit 10 --output json\n";
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
      absl::StatusOr<v1::ListSweepsResponse> response = ListSweepsPage(**client, token);
      if (!response.ok()) return response.status();
      for (const v1::Sweep& s : response->sweeps()) sweeps.push_back(s);
      token = response->next_page_token();
    } while (!token.empty() && (limit_ <= 0 || static_cast<int64_t>(sweeps.size()) < limit_));
    if (limit_ > 0 && static_cast<int64_t>(sweeps.size()) > limit_) sweeps.resize(limit_);
    if (inv.output() == OutputFormat::kJson) {
      nlohmann::json list = nlohmann::json::array();
      for (v1::Sweep& s : sweeps) {
        s.mutable_spec()->clear_source_yaml();
        list.push_back(ScriptJson(s));
      }
      inv.out() << nlohmann::json{{"sweeps", list}}.dump(2) << "\n";
      return absl::OkStatus();
    }
    if (sweeps.empty()) {
      inv.out() << "no sweeps on " << (*client)->address()
                << "; submit one with: augur submit SPEC.yaml\n";
      return absl::OkStatus();
    }
    Table table(
        {"SWEEP", "NAME", "STATE", "TRIALS", "TOKENS (SPENT OF FULL)", "BEST", "CREATED", "TAGS"});
    for (const v1::Sweep& s : sweeps) {
      table.AddRow({s.sweep_id(), s.spec().name(), SweepStateName(s.state()), TrialCountsText(s),
                    TokensText(s),
                    s.best_trial_id().empty() ? "-" : ShortTrialId(s.best_trial_id()),
                    TimeText(s.created_unix_ms()),
                    JoinText(std::vector<std::string>(s.tags().begin(), s.tags().end()), " ")});
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
  if (!sweep.store_warning().empty()) {
    out << "WARNING: the scheduler cannot write its store (" << sweep.store_warning()
        << "); new points and decisions are not saved until it can\n";
  }
  out << "sweep " << sweep.sweep_id() << " (" << sweep.spec().name()
      << "): " << SweepStateName(sweep.state()) << ", " << TrialCountsText(sweep) << "\n"
      << "tokens: " << TokensText(sweep) << " if every trial ran to the end";
  if (!sweep.best_trial_id().empty())
    out << "; best so far " << ShortTrialId(sweep.best_trial_id());
  out << "\n";
  if (!sweep.waiting_reason().empty()) out << "pending trials: " << sweep.waiting_reason() << "\n";
  if (sweep.tokens_per_second() > 0) {
    out << "speed: " << HumanCount(std::llround(sweep.tokens_per_second())) << " tokens/s; ETA "
        << DurationText(static_cast<double>(sweep.tokens_left()) / sweep.tokens_per_second())
        << " for the " << HumanCount(sweep.tokens_left())
        << " tokens its live trials still need at this speed\n";
  }
  if (!sweep.tags().empty()) {
    out << "tags: "
        << JoinText(std::vector<std::string>(sweep.tags().begin(), sweep.tags().end()), " ")
        << "\n";
  }
  if (!sweep.note().empty()) out << "note: " << sweep.note() << "\n";
}

void PrintDecisions(const std::vector<v1::Decision>& decisions, std::ostream& out) {
  for (const v1::Decision& d : decisions) {
    if (d.action() != v1::DECISION_ACTION_STOP) continue;
    out << "  " << TimeText(d.decided_unix_ms()) << "  stop " << ShortTrialId(d.trial_id())
        << " at " << std::lround(d.milestone_fraction() * 100) << "%: " << d.reason() << "\n";
  }
}

namespace {

class WorkersCommand : public Command {
 public:
  std::string name() const override { return "workers"; }
  std::string summary() const override { return "List workers, their slots and leases"; }
  std::string description() const override {
    return "Lists the workers the scheduler knows: host, device, free and total slots, the\n"
           "trials they hold and their last heartbeat.\n";
  }
  std::string examples() const override { return "augur workers\naugur workers --output json\n"; }
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
      inv.out() << ScriptJson(response).dump(2) << "\n";
      return absl::OkStatus();
    }
    if (!response.security_warning().empty()) {
      inv.err() << "warning: " << response.security_warning() << "\n";
    }
    if (response.refused_calls() > 0) {
      inv.err() << "the scheduler has refused " << response.refused_calls()
                << " calls since it started (its log: call_refused)\n";
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
           "reference columns and the point's wall_time_unix_ms. --format json writes\n"
           "{\"sweep_id\", \"trials\": [{\"trial\", \"points\"}, ...]} (docs/json.md). TRIAL is a\n"
           "full or short id (t007); an unknown one is an error naming the sweep's trials.\n"
           "Curves are written as they arrive: memory holds one trial's curve, not the sweep.\n";
  }
  std::string examples() const override {
    return "augur export s-20261122-080140-1a2b --out sweep.csv\n"
           "augur export s-20261122-080140-1a2b t003 t007     # two trials to stdout\n"
           "augur export s-20261122-080140-1a2b --format json | jq .trial.state\n";
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
    std::ofstream file;
    if (!out_path_.empty()) {
      file.open(out_path_, std::ios::binary);
      if (!file) return absl::PermissionDeniedError(Cat("cannot write ", out_path_));
    }
    std::ostream& out = out_path_.empty() ? inv.out() : file;
    const bool csv = format_ == "csv";
    // JSON joins the messages of one trial (a long curve comes in several) before writing it.
    v1::TrialCurve pending;
    size_t written = 0;
    const auto flush_json = [&] {
      if (!pending.has_trial()) return;
      out << (written++ > 0 ? ",\n" : "\n") << ScriptJson(pending).dump();
      pending.Clear();
    };
    if (csv) {
      out << kCurvesCsvHeader;
    } else {
      out << "{\"sweep_id\": " << nlohmann::json(sweep_id).dump() << ", \"trials\": [";
    }
    size_t curves = 0, points = 0;
    absl::Status status = ForEachCurve(**client, sweep_id, trials, [&](v1::TrialCurve& c) {
      c.mutable_trial()->clear_config();
      points += c.points_size();
      const bool same = pending.has_trial() && pending.trial().trial_id() == c.trial().trial_id();
      if (!same) ++curves;
      if (csv) {
        WriteCurveCsvRows(c, sweep_id, out);
        pending.mutable_trial()->set_trial_id(c.trial().trial_id());
      } else if (same) {
        for (auto& p : *c.mutable_points()) *pending.add_points() = std::move(p);
      } else {
        flush_json();
        pending = std::move(c);
      }
      return static_cast<bool>(out);
    });
    if (!status.ok()) return status;
    if (!csv) {
      flush_json();
      out << "\n]}\n";
    }
    if (out_path_.empty()) return absl::OkStatus();
    file.close();
    if (!file) return absl::PermissionDeniedError(Cat("cannot write ", out_path_));
    inv.err() << "wrote " << curves << " trials, " << points << " points to " << out_path_ << "\n";
    return absl::OkStatus();
  }

 private:
  std::string format_ = "csv";
  std::string out_path_;
};

}  // namespace

std::unique_ptr<Command> MakeSubmitCommand() { return std::make_unique<SubmitCommand>(); }
std::unique_ptr<Command> MakeListCommand() { return std::make_unique<ListCommand>(); }
std::unique_ptr<Command> MakeWorkersCommand() { return std::make_unique<WorkersCommand>(); }
std::unique_ptr<Command> MakeExportCommand() { return std::make_unique<ExportCommand>(); }

}  // namespace augur::cli
