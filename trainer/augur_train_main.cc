// augur-train: runs one trial and writes its loss curve.
//
//   augur-train --config trial.yaml --out curve.csv [--model.width=128 ...]
//
// Exit codes: 0 completed, 3 diverged (NaN/Inf loss), 4 stopped by SIGINT/SIGTERM (after a
// checkpoint when --checkpoint-dir is set), 5 stopped at --stop-at-fraction (likewise), 2 bad
// usage or config, 1 any other error. Errors print one line "augur-train: error: <reason>" on
// stderr. docs/trainer.md has the details.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "trainer/blas_core.h"
#include "trainer/checkpoint.h"
#include "trainer/config.h"
#include "trainer/curve_writer.h"
#include "trainer/data_parallel.h"
#include "trainer/trainer.h"
#include "trainer/trial_config_text.h"
#if AUGUR_HAVE_NCCL
#include "trainer/nccl_reducer.h"
#endif

namespace augur::trainer {
namespace {

constexpr int kExitError = 1, kExitUsage = 2, kExitDiverged = 3, kExitStopped = 4,
              kExitReachedStop = 5;

std::atomic<bool> g_stop_requested{false};
void OnSignal(int) { g_stop_requested.store(true); }

struct ToolFlags {
  std::string config_path, out_path, run_id, resume, checkpoint_dir, rendezvous;
  int points_fd = -1;
  int rank = 0, world_size = 1;
  double stop_at_fraction = 0;  // 0 = run to the end.
  bool quiet = false, print_config = false;
  std::vector<std::pair<std::string, std::string>> overrides;  // Proto field path, value.
};

void PrintUsage() {
  std::printf(
      "usage: augur-train --config trial.yaml --out curve.csv [flags] [--FIELD=VALUE ...]\n\n"
      "  --config PATH          YAML trial config; keys mirror augur.v1.TrialConfig\n"
      "  --out PATH             curve CSV (docs/curves.md)\n"
      "  --run-id ID            run_id column (default: config run_id, else 'run')\n"
      "  --resume PATH          continue from a checkpoint\n"
      "  --checkpoint-dir DIR   write DIR/step-N.ckpt (newest 3 and the committed one kept) every "
      "checkpoint_interval_steps and on stop\n"
      "  --stop-at-fraction F   checkpoint and exit 5 after the first step at or past F of "
      "training\n"
      "  --emit-jsonl           stream JSON lines (start/point/checkpoint/end) to stdout\n"
      "  --points-fd N          stream JSON lines to file descriptor N instead\n"
      "  --threads N            CPU threads (= --resources.cpu_threads)\n"
      "  --rank R --world-size W --rendezvous DIR   data parallelism (Gloo on CPU, NCCL on GPU)\n"
      "  --quiet                no progress bar\n"
      "  --print-config         print the resolved trial and exit\n\n"
      "Every TrialConfig field is a flag too:\n");
  for (const std::string& f : TrialFieldHelp()) std::printf("  --%s\n", f.c_str());
}

absl::StatusOr<ToolFlags> ParseFlags(int argc, char** argv) {
  ToolFlags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    arg = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "quiet" || arg == "emit-jsonl" || arg == "print-config" || arg == "help") {
      if (arg == "quiet") f.quiet = true;
      if (arg == "emit-jsonl") f.points_fd = 1;
      if (arg == "print-config") f.print_config = true;
      if (arg == "help") {
        PrintUsage();
        std::exit(0);
      }
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc)
        return absl::InvalidArgumentError(absl::StrCat("--", arg, " needs a value"));
      value = argv[++i];
    }
    auto to_int = [&](int* out) {
      return absl::SimpleAtoi(value, out) ? absl::OkStatus()
                                          : absl::InvalidArgumentError(absl::StrCat(
                                                "--", arg, "=", value, " is not an integer"));
    };
    absl::Status s;
    if (arg == "config")
      f.config_path = value;
    else if (arg == "out")
      f.out_path = value;
    else if (arg == "run-id")
      f.run_id = value;
    else if (arg == "resume")
      f.resume = value;
    else if (arg == "checkpoint-dir")
      f.checkpoint_dir = value;
    else if (arg == "rendezvous")
      f.rendezvous = value;
    else if (arg == "stop-at-fraction") {
      if (!absl::SimpleAtod(value, &f.stop_at_fraction) || !(f.stop_at_fraction >= 0) ||
          f.stop_at_fraction > 1) {
        s = absl::InvalidArgumentError(
            absl::StrCat("--stop-at-fraction=", value, " is not a fraction in [0, 1]"));
      }
    } else if (arg == "points-fd")
      s = to_int(&f.points_fd);
    else if (arg == "rank")
      s = to_int(&f.rank);
    else if (arg == "world-size")
      s = to_int(&f.world_size);
    else if (arg == "threads")
      f.overrides.emplace_back("resources.cpu_threads", value);
    else
      f.overrides.emplace_back(arg, value);
    if (!s.ok()) return s;
  }
  return f;
}

// Drops rows past `step` from a curve CSV left by an interrupted run, so that a resumed run
// appends without duplicating steps.
absl::Status TruncateCurve(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return absl::OkStatus();
  std::string line, kept;
  bool header = true;
  while (std::getline(in, line)) {
    if (!header) {
      const size_t a = line.find(','), b = line.find(',', a + 1);
      int64_t row_step = 0;
      if (a == std::string::npos || !absl::SimpleAtoi(line.substr(a + 1, b - a - 1), &row_step) ||
          row_step > step) {
        continue;
      }
    }
    header = false;
    kept += line + "\n";
  }
  std::ofstream out(path, std::ios::trunc);
  out << kept;
  return out ? absl::OkStatus() : absl::InternalError(absl::StrCat("cannot rewrite ", path));
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), tty_(::isatty(2)) {}
  void Update(const StepReport& r) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const bool last = r.step == r.total_steps;
    const int decile = static_cast<int>(r.fraction * 10);
    if (tty_ ? (now - last_draw_ < std::chrono::milliseconds(100) && !last) : decile == decile_) {
      return;
    }
    last_draw_ = now;
    decile_ = decile;
    const int filled = static_cast<int>(r.fraction * 30);
    std::string bar(filled, '#');
    bar.resize(30, '.');
    std::fprintf(stderr, "%s[%s] %3.0f%% step %lld/%lld loss %.4f lr %.3g%s%s", tty_ ? "\r" : "",
                 bar.c_str(), 100 * r.fraction, static_cast<long long>(r.step),
                 static_cast<long long>(r.total_steps), r.train_loss, r.lr,
                 r.val_loss ? absl::StrFormat(" val %.4f", *r.val_loss).c_str() : "",
                 tty_ && !last ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point last_draw_{};
  int decile_ = -1;
};

// The first step at or past `fraction` of `total_steps`, or 0 (run to the end) when that is the
// last step or `fraction` is 0. The epsilon keeps 0.1 * 1000 at step 100, not 101.
int64_t StopStepFor(double fraction, int64_t total_steps) {
  if (fraction <= 0) return 0;
  const auto step =
      static_cast<int64_t>(std::ceil(fraction * static_cast<double>(total_steps) - 1e-9));
  return step >= total_steps ? 0 : std::max<int64_t>(step, 1);
}

int Fail(int code, const absl::Status& s) {
  std::fprintf(stderr, "augur-train: error: %s\n", std::string(s.message()).c_str());
  return code;
}

int Main(int argc, char** argv) {
  auto flags = ParseFlags(argc, argv);
  if (!flags.ok()) return Fail(kExitUsage, flags.status());
  TrialConfigFile file;
  if (!flags->config_path.empty()) {
    auto loaded = LoadTrialYaml(flags->config_path);
    if (!loaded.ok()) return Fail(kExitUsage, loaded.status());
    file = *std::move(loaded);
  }
  for (const auto& [path, value] : flags->overrides) {
    if (auto s = SetTrialField(&file.config, path, value); !s.ok()) {
      return Fail(kExitUsage,
                  absl::InvalidArgumentError(absl::StrCat("flag --", path, ": ", s.message())));
    }
  }
  auto spec = TrialSpecFromProto(file.config);
  if (!spec.ok()) return Fail(kExitUsage, spec.status());
  spec->run_id = !flags->run_id.empty() ? flags->run_id
                 : !file.run_id.empty() ? file.run_id
                                        : "run";
  auto resolved = ResolveTrial(*spec);
  if (!resolved.ok()) return Fail(kExitUsage, resolved.status());
  if (flags->print_config) {
    std::printf(
        "%s\nparams %lld (with embeddings %lld), steps %lld, batch_tokens %lld, tpp %.4g, "
        "tau %.4g, weight_decay %.6g, hidden_lr %.4g\n",
        file.config.DebugString().c_str(), static_cast<long long>(resolved->params.non_embedding),
        static_cast<long long>(resolved->params.total),
        static_cast<long long>(resolved->total_steps),
        static_cast<long long>(resolved->batch_tokens), resolved->tokens_per_param, resolved->tau,
        resolved->weight_decay, resolved->hidden_peak_lr);
    return 0;
  }

  std::unique_ptr<GradientReducer> reducer;
  if (flags->world_size > 1) {
    if (flags->rendezvous.empty()) {
      return Fail(kExitUsage, absl::InvalidArgumentError("--world-size > 1 needs --rendezvous"));
    }
    absl::StatusOr<std::unique_ptr<GradientReducer>> r;
#if AUGUR_HAVE_NCCL
    if (spec->gpus > 0)
      r = MakeNcclReducer(flags->rank, flags->world_size, 0, flags->rendezvous);
    else
#endif
      r = MakeGlooReducer(flags->rank, flags->world_size, flags->rendezvous);
    if (!r.ok()) return Fail(kExitError, r.status());
    reducer = *std::move(r);
  }
  const bool leader = flags->rank == 0;

  if (!flags->resume.empty() && leader && !flags->out_path.empty()) {
    auto ck = ReadCheckpoint(flags->resume);
    if (!ck.ok()) return Fail(kExitError, ck.status());
    if (auto s = TruncateCurve(flags->out_path, ck->step); !s.ok()) return Fail(kExitError, s);
  }
  CurveControls controls{.run_id = spec->run_id,
                         .tokens_per_param = resolved->tokens_per_param,
                         .tau = resolved->tau,
                         .schedule = spec->schedule,
                         .peak_lr = spec->optimizer.peak_lr,
                         .weight_decay = resolved->weight_decay,
                         .batch_tokens = resolved->batch_tokens,
                         .params = resolved->params.non_embedding,
                         .params_with_embeddings = resolved->params.total,
                         .seed = spec->seed,
                         .total_steps = resolved->total_steps};
  auto writer = CurveWriter::Open(leader ? flags->out_path : "", leader ? flags->points_fd : -1,
                                  !flags->resume.empty(), controls);
  if (!writer.ok()) return Fail(kExitError, writer.status());

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // main() blocked them until now (as a launcher may have): they are how this trainer is asked
  // to checkpoint and stop, and one that came meanwhile is delivered here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);
  ProgressBar bar(leader && !flags->quiet);
  RunOptions options;
  options.resume_from = flags->resume;
  options.checkpoint_dir = flags->checkpoint_dir;
  options.reducer = reducer.get();
  const int64_t stop_step = StopStepFor(flags->stop_at_fraction, resolved->total_steps);
  // Data parallel: a stop takes effect after the step that follows stop_after_step.
  options.stop_after_step = flags->world_size > 1 && stop_step > 1 ? stop_step - 1 : stop_step;
  options.on_step = [&](const StepReport& r) {
    (*writer)->Point({.step = r.step,
                      .tokens = r.tokens,
                      .fraction = r.fraction,
                      .loss = r.train_loss,
                      .lr = r.lr,
                      .val_loss = r.val_loss});
    bar.Update(r);
    return !g_stop_requested.load();
  };
  options.on_checkpoint = [&](int64_t step, const std::string& path) {
    (*writer)->Checkpoint(step, path);
  };
  auto result = RunTrial(*spec, options);
  if (!result.ok()) {
    (*writer)->End("FAILED", std::string(result.status().message()), 0, 0);
    return Fail(kExitError, result.status());
  }
  (*writer)->End(RunOutcomeName(result->outcome), result->message, result->tokens_per_second,
                 result->tokens_per_cpu_second);
  if (leader && !flags->quiet) {
    std::fprintf(
        stderr,
        "%s after %lld steps: train loss %.4f, val loss %s, %.0f tokens/s on %s "
        "(%d threads), params %lld (%lld with embeddings), tpp %.3g, tau %.3g\n",
        RunOutcomeName(result->outcome), static_cast<long long>(result->steps_done),
        result->final_train_loss,
        result->final_val_loss ? absl::StrFormat("%.4f", *result->final_val_loss).c_str() : "-",
        result->tokens_per_second, result->device.c_str(), result->threads,
        static_cast<long long>(resolved->params.non_embedding),
        static_cast<long long>(resolved->params.total), resolved->tokens_per_param, resolved->tau);
  }
  switch (result->outcome) {
    case RunOutcome::kCompleted:
      return 0;
    case RunOutcome::kDiverged:
      std::fprintf(stderr, "augur-train: diverged: %s\n", result->message.c_str());
      return kExitDiverged;
    case RunOutcome::kStopped:
      // Stopped at the asked step (or resumed at or past it), not by a signal.
      return stop_step > 0 && !g_stop_requested.load() && result->steps_done >= stop_step
                 ? kExitReachedStop
                 : kExitStopped;
  }
  return kExitError;
}

}  // namespace
}  // namespace augur::trainer

int main(int argc, char** argv) {
  // A stop asked for while starting (a worker pausing a trial it has just launched) waits until
  // Main installs its handlers and unblocks them, instead of killing the trainer: a blocked
  // signal stays pending, also across the exec below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  // Before anything else: the right OpenBLAS kernels are worth ~3x on VMs (blas_core.h).
  augur::trainer::MaybeReexecWithBetterBlasCore(argv);
  return augur::trainer::Main(argc, argv);
}
