// `augur run SPEC.yaml`: an embedded scheduler (SQLite beside the spec) and local workers in one
// process; the live ranking while it runs; a summary, a Markdown report and plots at the end.
// Ctrl-C pauses the running trials (they checkpoint) and stops; running it again resumes.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "cli/client.h"
#include "cli/recommendation.h"
#include "cli/remote_commands.h"
#include "cli/report.h"
#include "cli/script_json.h"
#include "cli/spec.h"
#include "cli/spec_diff.h"
#include "cli/sweep_view.h"
#include "cli/watch.h"
#include "common/signals.h"
#include "common/text.h"
#include "dashboard/http_server.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "scheduler/server.h"
#include "worker/devices.h"
#include "worker/process_trial_runner.h"
#include "worker/worker_daemon.h"

namespace augur::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kPauseReason[] = "paused by augur run (interrupted)";

// examples/quickstart.yaml -> examples/quickstart.augur.db / examples/quickstart.augur/
fs::path Beside(const fs::path& spec, const std::string& suffix) {
  fs::path p = spec;
  p.replace_extension();
  return p.string() + suffix;
}

// Waits for SIGINT/SIGTERM (blocked in every thread by BlockTerminationSignals) until
// Stop(); calls `on_signal` once from its own thread.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> on_signal)
      : thread_([this, on_signal = std::move(on_signal)] {
          sigset_t set;
          sigemptyset(&set);
          sigaddset(&set, SIGINT);
          sigaddset(&set, SIGTERM);
          const timespec tick{0, 200'000'000};
          while (!stop_.load()) {
            const int sig = sigtimedwait(&set, nullptr, &tick);
            if (sig > 0) {
              on_signal(sig);
              return;
            }
          }
        }) {}
  ~SignalWatcher() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class RunCommand : public Command {
 public:
  std::string name() const override { return "run"; }
  std::string args_usage() const override { return "SPEC.yaml"; }
  std::string summary() const override { return "Run a sweep on this machine, without a cluster"; }
  std::string description() const override {
    return "Starts an embedded scheduler (its SQLite store beside the spec: SPEC.augur.db) and\n"
           "local workers on this machine's GPUs, or on its CPUs (slots = cores /\n"
           "resources.cpu_threads), runs SPEC.yaml to the end and shows the live ranking\n"
           "(redrawn in a terminal, plain lines when piped). It ends with a summary: the winner,\n"
           "what was stopped and when, the compute spent against running every trial to the\n"
           "end, and where the report (SPEC.augur/report.md) and plots were written.\n"
           "Ctrl-C pauses the running trials at a checkpoint and stops. Running the same spec\n"
           "again resumes its sweep (a finished one just prints its summary), also after\n"
           "edits to comments or spacing; a spec whose content changed (search space, model,\n"
           "policy...) is refused with the list of what changed until you pass --new, which\n"
           "starts a fresh sweep. --scheduler is not used: this command is its own scheduler.\n"
           "The web dashboard (docs/dashboard.md) is served on a free loopback port, whose URL\n"
           "is printed; --dashboard HOST:PORT picks the address, --dashboard off turns it off.\n";
  }
  std::string examples() const override {
    return "augur run examples/quickstart.yaml\n"
           "augur run examples/quickstart.yaml --new --cpu-slots 2\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddString("db", "PATH", "SQLite store (default: SPEC.augur.db beside the spec)", &db_);
    flags.AddString("report-dir", "DIR", "Report and plots (default: SPEC.augur/ beside the spec)",
                    &report_dir_);
    flags.AddBool("new", "Start a fresh sweep even if this spec has one in the store", &fresh_);
    flags.AddInt("cpu-slots", "N", "CPU trials at once; 0 = cores / resources.cpu_threads",
                 &cpu_slots_);
    flags.AddInt("gpus", "N", "GPUs to use; -1 = all that pass the self-test", &gpus_);
    flags.AddString("train-binary", "PATH", "The trainer (default: augur-train beside augur)",
                    &train_binary_);
    flags.AddString("listen", "HOST:PORT",
                    "Also serve the API here, for `augur top` from another terminal", &listen_);
    flags.AddString("dashboard", "HOST:PORT", "Serve the web dashboard here ('off' = none)",
                    &dashboard_.listen);
  }

  absl::Status Run(Invocation& inv) override {
    if (inv.args().size() != 1) return UsageError("expected one spec file");
    const fs::path spec_path = inv.args()[0];
    absl::StatusOr<std::string> text = ReadSpecFile(spec_path);
    if (!text.ok()) return text.status();
    SpecParseOptions parse_options;
    parse_options.file_name = spec_path.string();
    parse_options.base_dir = spec_path.parent_path();
    SpecParseResult parsed = ParseSweepSpecDetailed(*text, parse_options);
    if (!parsed.ok()) {
      inv.err() << parsed.ErrorText(spec_path.string()) << "\n";
      return absl::InvalidArgumentError(Cat(spec_path.string(), " has ", parsed.errors.size(),
                                            parsed.errors.size() == 1 ? " error" : " errors"));
    }
    if (train_binary_.empty()) train_binary_ = FindTrainBinaryNearSelf();
    if (train_binary_.empty() || !fs::exists(train_binary_)) {
      return absl::NotFoundError(
          Cat("cannot find augur-train", train_binary_.empty() ? "" : Cat(" at ", train_binary_),
              " (looked beside augur and in the build tree's trainer/); pass --train-binary"));
    }
    const fs::path db = db_.empty() ? Beside(spec_path, ".augur.db") : fs::path(db_);
    const fs::path report_dir =
        report_dir_.empty() ? Beside(spec_path, ".augur") : fs::path(report_dir_);
    const bool json = inv.output() == OutputFormat::kJson;
    std::ostream& log = json ? inv.err() : inv.out();

    // Before any thread exists, so that only the watcher sees SIGINT/SIGTERM.
    BlockTerminationSignals();
    ServerOptions server_options;
    server_options.listen_address = listen_.empty() ? "127.0.0.1:0" : listen_;
    server_options.db_path = db.string();
    auto server = SchedulerServer::Start(server_options);
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          Cat("cannot start the embedded scheduler on ", db.string(), ": ",
                              server.status().message()));
    }
    auto client = SchedulerClient::Connect((*server)->address());
    if (!client.ok()) return client.status();
    auto web = dashboard::StartUnlessOff((*server)->scheduler(), dashboard_);
    if (!web.ok()) return web.status();

    // Local workers: one daemon with every slot of this machine.
    DeviceOptions device_options;
    device_options.gpus = static_cast<int>(gpus_);
    const int threads = std::max(1, parsed.spec.resources().cpu_threads());
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    device_options.cpu_slots =
        cpu_slots_ > 0 ? static_cast<int>(cpu_slots_) : std::max(1, cores / threads);
    device_options.threads_per_trial = threads;
    auto inventory = DiscoverDevices(device_options, ProbeGpus(), cores);
    if (!inventory.ok()) return inventory.status();
    // A trial that asks for GPUs never silently trains on this machine's CPU.
    const v1::Resources& wants = parsed.spec.resources();
    if (wants.gpus() > 0 && inventory->gpus.empty() && !wants.allow_cpu()) {
      return absl::FailedPreconditionError(
          Cat(spec_path.string(), ": the trials ask for ", wants.gpus(),
              " GPU(s) (resources.gpus) and this machine has none; set resources.allow_cpu: "
              "true to train them on its CPU, or submit to a cluster with GPU workers"));
    }

    // Find the sweep of this spec, or submit it.
    absl::StatusOr<std::optional<v1::GetSweepResponse>> existing =
        fresh_ ? std::optional<v1::GetSweepResponse>() : FindExisting(**client, parsed.spec);
    if (!existing.ok()) return existing.status();
    std::string sweep_id;
    if (existing->has_value()) {
      const v1::GetSweepResponse& found = **existing;
      sweep_id = found.sweep().sweep_id();
      if (found.sweep().state() != v1::Sweep::STATE_RUNNING) {
        log << "sweep " << sweep_id << " of " << spec_path.string() << " in " << db.string()
            << " has finished (run with --new for a fresh one)\n";
        return Finish(inv, **client, sweep_id, spec_path, report_dir, absl::ZeroDuration());
      }
      log << "resuming sweep " << sweep_id << " from " << db.string() << " ("
          << TrialCountsText(found.sweep()) << ")\n";
      for (const v1::RankingRow& row : found.ranking()) {
        if (row.trial().state() != v1::TRIAL_STATE_PAUSED) continue;
        v1::TrialActionRequest request;
        request.set_trial_id(row.trial().trial_id());
        request.set_reason("resumed by augur run");
        v1::TrialActionResponse response;
        auto context = SchedulerClient::Context();
        if (absl::Status s = (*client)->Check(
                (*client)->stub().ResumeTrial(context.get(), request, &response), "ResumeTrial");
            !s.ok()) {
          return s;
        }
      }
    } else {
      v1::SubmitSweepRequest request;
      *request.mutable_spec() = parsed.spec;
      v1::SubmitSweepResponse response;
      auto context = SchedulerClient::Context();
      if (absl::Status s = (*client)->Check(
              (*client)->stub().SubmitSweep(context.get(), request, &response), "SubmitSweep");
          !s.ok()) {
        return s;
      }
      sweep_id = response.sweep().sweep_id();
      log << "started sweep " << sweep_id << " (" << parsed.spec.name()
          << "): " << response.planned_trials() << " trials, store " << db.string() << "\n";
    }

    ProcessRunnerOptions runner_options;
    runner_options.train_binary = train_binary_;
    runner_options.work_dir = (report_dir / "work").string();
    runner_options.threads_per_trial = inventory->threads_per_trial;
    ProcessTrialRunner runner(runner_options);
    WorkerOptions worker_options;
    worker_options.worker_id = Cat(LocalHostname(), "-local");
    worker_options.hostname = LocalHostname();
    worker_options.gpus = static_cast<int>(inventory->gpus.size());
    for (const GpuInfo& g : inventory->gpus) worker_options.gpu_devices.push_back(g.index);
    worker_options.cpu_slots = inventory->cpu_slots;
    worker_options.device = inventory->description;
    log << "local worker: " << inventory->description << "; trainer " << train_binary_ << "\n";
    if (!listen_.empty()) {
      log << "serving the API on " << (*server)->address() << " (augur top " << sweep_id
          << " --watch --scheduler " << (*server)->address() << ")\n";
    }
    if (*web) log << "dashboard: " << (*web)->url() << "#/sweep/" << sweep_id << "\n";
    log << std::flush;
    WorkerDaemon daemon(
        worker_options,
        grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()), &runner);
    std::thread daemon_thread([&daemon] { daemon.Run(); });

    const absl::Time start = absl::Now();
    auto watch_context = SchedulerClient::Context(absl::InfiniteDuration());
    std::atomic<bool> interrupted{false};
    SignalWatcher watcher([&](int) {
      interrupted.store(true);
      watch_context->TryCancel();
    });
    WatchOptions watch_options;
    watch_options.json = json;
    watch_options.in_place = !json && IsTty(inv.out());
    absl::StatusOr<v1::WatchRankingResponse> last =
        WatchSweep(**client, sweep_id, watch_context.get(), watch_options, inv.out());
    watcher.Stop();
    const absl::Duration wall = absl::Now() - start;

    if (interrupted.load()) {
      log << "\ninterrupted: pausing the sweep's trials at a checkpoint...\n" << std::flush;
      if (absl::Status s = PauseSweep(**client, sweep_id); !s.ok()) {
        log << "could not pause every trial (" << s.message()
            << "); the ones still running restart from their last checkpoint\n";
      }
    }
    daemon.Shutdown();
    daemon_thread.join();
    if (interrupted.load()) {
      (*server)->Shutdown();
      return absl::CancelledError(
          Cat("interrupted after ", absl::FormatDuration(absl::Trunc(wall, absl::Seconds(1))),
              "; sweep ", sweep_id, " is saved in ", db.string(), ": run `augur run ",
              spec_path.string(), "` again to resume"));
    }
    if (!last.ok()) return last.status();
    return Finish(inv, **client, sweep_id, spec_path, report_dir, wall);
  }

 private:
  // The newest sweep of the store with this spec's name. If its spec means the same sweep
  // (whatever the comments and spacing of the YAML), it is resumed; if not, FAILED_PRECONDITION
  // says what changed and asks for --new. None: a first run.
  absl::StatusOr<std::optional<v1::GetSweepResponse>> FindExisting(SchedulerClient& client,
                                                                   const v1::SweepSpec& spec) {
    absl::StatusOr<v1::ListSweepsResponse> response = ListSweepsPage(client);
    if (!response.ok()) return response.status();
    for (const v1::Sweep& listed : response->sweeps()) {  // Newest first; without source_yaml.
      if (listed.spec().name() != spec.name()) continue;
      const std::vector<std::string> changed = SpecDifferences(listed.spec(), spec);
      if (!changed.empty()) {
        return absl::FailedPreconditionError(
            Cat("the spec changed since sweep ", listed.sweep_id(), " (", listed.spec().name(),
                ") was started: ", JoinText(changed, ", "),
                "; run with --new to start a new sweep (the old one stays in the store)"));
      }
      absl::StatusOr<v1::GetSweepResponse> full = FetchSweep(client, listed.sweep_id());
      if (!full.ok()) return full.status();
      return std::optional<v1::GetSweepResponse>(std::move(*full));
    }
    return std::optional<v1::GetSweepResponse>();
  }

  // Pauses every pending and running trial through the scheduler (the worker checkpoints the
  // running ones) and waits until none runs, so that the local worker has nothing to start
  // when it shuts down and a later `augur run` resumes them (ResumeTrial).
  absl::Status PauseSweep(SchedulerClient& client, const std::string& sweep_id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(90);
    while (absl::Now() < deadline) {
      absl::StatusOr<v1::GetSweepResponse> sweep = FetchSweep(client, sweep_id);
      if (!sweep.ok()) return sweep.status();
      bool active = false;
      for (const v1::RankingRow& row : sweep->ranking()) {
        const v1::TrialState state = row.trial().state();
        if (state != v1::TRIAL_STATE_PENDING && state != v1::TRIAL_STATE_RUNNING) continue;
        active = true;
        if (state == v1::TRIAL_STATE_RUNNING && row.trial().message() == kPauseReason) continue;
        v1::TrialActionRequest request;
        request.set_trial_id(row.trial().trial_id());
        request.set_reason(kPauseReason);
        v1::TrialActionResponse response;
        auto context = SchedulerClient::Context();
        // A trial may end meanwhile (FAILED_PRECONDITION): the next pass sees it.
        (void)client.stub().PauseTrial(context.get(), request, &response);
      }
      if (!active) return absl::OkStatus();
      absl::SleepFor(absl::Milliseconds(250));
    }
    return absl::DeadlineExceededError("trials still running after 90 s");
  }

  absl::Status Finish(Invocation& inv, SchedulerClient& client, const std::string& sweep_id,
                      const fs::path& spec_path, const fs::path& report_dir, absl::Duration wall) {
    absl::StatusOr<v1::GetSweepResponse> sweep = FetchSweep(client, sweep_id);
    if (!sweep.ok()) return sweep.status();
    absl::StatusOr<std::vector<v1::TrialCurve>> curves = FetchCurves(client, sweep_id, {});
    if (!curves.ok()) return curves.status();
    absl::StatusOr<fs::path> report =
        WriteReport(report_dir, spec_path.string(), *sweep, *curves, wall);
    if (!report.ok()) return report.status();
    if (inv.output() == OutputFormat::kJson) {
      v1::GetSweepResponse shown = *sweep;
      shown.mutable_sweep()->mutable_spec()->clear_source_yaml();
      for (auto& row : *shown.mutable_ranking()) row.mutable_trial()->clear_config();
      const v1::Trial* winner = Winner(*sweep, *curves);
      const auto [spent, full] = TokensSpentAndFull(*sweep, *curves);
      nlohmann::json winners = nlohmann::json::array();
      for (const Recommendation& r : Recommend(*sweep, *curves)) {
        winners.push_back({{"size", r.size},
                           {"trial", r.trial->trial_id()},
                           {"final_loss", r.final_loss},
                           {"edge_notes", r.edge_notes}});
      }
      inv.out() << nlohmann::json{{"sweep", ScriptJson(shown)},
                                  {"winner", winner ? winner->trial_id() : ""},
                                  {"winners_per_size", winners},
                                  {"tokens_spent", spent},
                                  {"tokens_full", full},
                                  {"wall_seconds", absl::ToDoubleSeconds(wall)},
                                  {"report", report->string()}}
                       .dump(2)
                << "\n";
      return absl::OkStatus();
    }
    inv.out() << "\n" << SummaryText(*sweep, *curves);
    if (wall > absl::ZeroDuration()) {
      inv.out() << "wall time: " << absl::FormatDuration(absl::Trunc(wall, absl::Seconds(1)))
                << "\n";
    }
    inv.out() << "report: " << report->string() << " (plots: " << (report_dir / "loss.svg").string()
              << ", " << (report_dir / "normalized.svg").string() << ", .png beside them)\n";
    return absl::OkStatus();
  }

  std::string db_, report_dir_, train_binary_, listen_;
  dashboard::DashboardOptions dashboard_;
  bool fresh_ = false;
  int64_t cpu_slots_ = 0, gpus_ = -1;
};

}  // namespace

std::unique_ptr<Command> MakeRunCommand() { return std::make_unique<RunCommand>(); }

}  // namespace augur::cli
