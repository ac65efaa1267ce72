#include "worker/process_trial_runner.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/checkpoint_retention.h"
#include "common/log.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "worker/trial_process.h"

namespace augur {
namespace {

namespace fs = std::filesystem;

// In each trial's folder: the trial id, one line.
constexpr char kTrialIdFile[] = "trial_id";

// One trial: its ranks' processes, one waiter thread per rank, and the end once all have exited.
class ProcessTrial : public RunningTrial {
 public:
  ProcessTrial(TrialRunner::Callbacks cb, absl::Duration rank_exit_grace, std::string rendezvous,
               double run_until_fraction, std::string checkpoint_dir)
      : cb_(std::move(cb)),
        grace_(rank_exit_grace),
        rendezvous_(std::move(rendezvous)),
        run_until_(run_until_fraction),
        checkpoint_dir_(std::move(checkpoint_dir)) {}
  ~ProcessTrial() override {
    {
      absl::MutexLock lock(&mu_);
      destroying_ = true;
    }
    for (auto& p : ranks_) p->Kill();  // No-op for ranks that already ended.
    for (auto& t : waiters_) t.join();
    if (pause_waiter_.joinable()) pause_waiter_.join();
    ranks_.clear();  // Joins the readers; every child is reaped by now.
  }

  // Starts every rank (rank i from options[i]); on failure the ones started are killed.
  absl::Status Launch(const std::vector<TrialProcessOptions>& options) {
    for (size_t i = 0; i < options.size(); ++i) {
      TrialProcess::LineCallback on_line;
      if (i == 0) on_line = [this](const std::string& line) { OnLine(line); };
      auto p = TrialProcess::Start(options[i], std::move(on_line));
      if (!p.ok()) {
        ranks_.clear();  // Kills and reaps the ranks already running.
        return p.status();
      }
      ranks_.push_back(std::move(*p));
    }
    exits_.resize(ranks_.size());
    for (size_t i = 0; i < ranks_.size(); ++i) {
      waiters_.emplace_back([this, i] { WaitForRank(i); });
    }
    return absl::OkStatus();
  }

  void Stop() override { StopWithin(absl::Seconds(2)); }
  void StopWithin(absl::Duration grace) override {
    for (auto& p : ranks_) p->Terminate(grace);
  }
  void Pause() override {
    {
      absl::MutexLock lock(&mu_);
      pause_requested_ = true;
      // A SIGTERM before augur-train runs (between fork and its main()) would kill it, not
      // pause it: the signal goes once rank 0 says it started (augur-train holds stop signals
      // from the start of main() until it can checkpoint), or after kStartGrace regardless.
      if (!started_) {
        if (!pause_waiter_.joinable()) pause_waiter_ = std::thread([this] { PauseOnceStarted(); });
        return;
      }
    }
    TerminateForPause();
  }
  void CheckpointCommitted(int64_t step) override {
    // The trainer reads the file before each pruning; a failure only keeps more files.
    WriteCommittedStep(checkpoint_dir_, step).IgnoreError();
  }

 private:
  int world() const { return static_cast<int>(ranks_.size()); }

  static constexpr absl::Duration kStartGrace = absl::Seconds(30);

  void PauseOnceStarted() {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return started_ || destroying_ || exited_ == world();
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), kStartGrace);
      if (destroying_ || exited_ == world()) return;
    }
    TerminateForPause();
  }

  void TerminateForPause() {
    // Every rank: a stop on any rank stops all at the same step, but a rank that never hears
    // of it would wait for the others' next step.
    for (auto& p : ranks_) p->Terminate(absl::Seconds(120));  // Time to write the checkpoint.
  }

  std::string Describe(size_t rank, const ProcessExit& exit) const {
    std::string what = absl::StrCat("augur-train ", exit.Describe(), ": ", exit.stderr_tail);
    if (world() == 1) return what;  // The single-process message stays what it always was.
    return absl::StrCat("rank ", rank, " of ", world(), ": ", what);
  }

  void KillOthers(size_t rank) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (size_t j = 0; j < ranks_.size(); ++j) {
      if (j != rank && !exits_[j]) ranks_[j]->Kill();
    }
  }

  void WaitForRank(size_t rank) {
    const ProcessExit exit = ranks_[rank]->Wait();
    v1::TrialState state = v1::TRIAL_STATE_COMPLETED;
    std::string message;
    {
      absl::MutexLock lock(&mu_);
      exits_[rank] = exit;
      ++exited_;
      if (exited_ < world()) {
        AfterRankExit(rank, exit);
        return;  // The last rank to exit reports.
      }
      for (size_t i = 0; i < exits_.size(); ++i) {
        const v1::TrialState s = StateForExit(exits_[i]->exited, exits_[i]->code, pause_requested_);
        state = WorseState(state, s);
        if (s == v1::TRIAL_STATE_FAILED && failure_.empty()) failure_ = Describe(i, *exits_[i]);
      }
      // Rank 0's reader wrote end_message_ before its Wait() returned.
      message = state == v1::TRIAL_STATE_FAILED ? failure_ : end_message_;
      if (state == v1::TRIAL_STATE_WAITING) {
        message = absl::StrCat("waiting at milestone ", run_until_);
      }
    }
    if (!rendezvous_.empty()) {
      std::error_code ec;
      fs::remove_all(rendezvous_, ec);  // Its files name dead processes.
    }
    cb_.on_end(state, message, last_step_);
  }

  // A rank exited while others still run.
  void AfterRankExit(size_t rank, const ProcessExit& exit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (StateForExit(exit.exited, exit.code, pause_requested_) == v1::TRIAL_STATE_FAILED) {
      if (failure_.empty()) failure_ = Describe(rank, exit);
      KillOthers(rank);
      return;
    }
    // Ended cleanly: the others leave the same step and follow within moments, unless one is
    // stuck in a collective that can no longer complete.
    auto all_out = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return exited_ == world() || destroying_;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&all_out), grace_) && failure_.empty()) {
      failure_ = absl::StrCat("rank ", rank, " of ", world(), " ended (", exit.Describe(),
                              ") but the others did not follow within ",
                              absl::FormatDuration(grace_), "; killed");
      KillOthers(rank);
    }
  }

  // Rank 0's stdout, on its reader thread.
  void OnLine(const std::string& line) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("event")) return;  // Not ours (a stray print).
    const std::string event = j.value("event", "");
    if (event == "point") {
      v1::LossPoint p;
      p.set_step(j.value("step", int64_t{0}));
      p.set_tokens(j.value("tokens", int64_t{0}));
      p.set_fraction(j.value("fraction", 0.0));
      // The trainer writes non-finite losses as null (JSON has no NaN).
      const auto& loss = j["loss"];
      p.set_train_loss(loss.is_number() ? loss.get<double>()
                                        : std::numeric_limits<double>::quiet_NaN());
      p.set_lr(j.value("lr", 0.0));
      if (j.contains("val_loss")) {
        const auto& v = j["val_loss"];
        p.set_val_loss(v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN());
      }
      last_step_ = p.step();
      cb_.on_point(p);
    } else if (event == "checkpoint") {
      v1::CheckpointCommit c;
      c.set_step(j.value("step", int64_t{0}));
      c.set_path(j.value("path", ""));
      std::error_code ec;
      const auto size = fs::file_size(c.path(), ec);
      if (!ec) c.set_size_bytes(static_cast<int64_t>(size));
      cb_.on_checkpoint(c);
    } else if (event == "end") {
      end_message_ = j.value("message", "");
    } else if (event == "start") {
      absl::MutexLock lock(&mu_);
      started_ = true;  // Wakes a pause that waits for it.
    }
  }

  TrialRunner::Callbacks cb_;
  const absl::Duration grace_;
  const std::string rendezvous_;  // Empty for a single rank.
  const double run_until_;        // Lease.run_until_fraction.
  const std::string checkpoint_dir_;
  // Set by Launch, then only read until the destructor.
  std::vector<std::unique_ptr<TrialProcess>> ranks_;
  std::vector<std::thread> waiters_;
  std::thread pause_waiter_;  // Started by the first Pause() before rank 0 started.
  std::atomic<int64_t> last_step_{0};
  std::string end_message_;  // Written by rank 0's reader thread before it is reaped.

  absl::Mutex mu_;
  std::vector<std::optional<ProcessExit>> exits_ ABSL_GUARDED_BY(mu_);
  int exited_ ABSL_GUARDED_BY(mu_) = 0;
  bool destroying_ ABSL_GUARDED_BY(mu_) = false;
  std::string failure_ ABSL_GUARDED_BY(mu_);  // The first failure, the one to report.
  bool pause_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;  // Rank 0's "start" line was read.
};

}  // namespace

std::string FindTrainBinaryNearSelf() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p : {self.parent_path() / "augur-train",
                              self.parent_path().parent_path() / "trainer" / "augur-train"}) {
      if (fs::exists(p, ec)) return p.string();
    }
  }
  return "";
}

std::string LocalHostname() {
  char buf[256] = {0};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

v1::TrialState StateForExit(bool exited, int code, bool pause_requested) {
  if (!exited) return v1::TRIAL_STATE_FAILED;
  switch (code) {
    case 0:
      return v1::TRIAL_STATE_COMPLETED;
    case 3:
      return v1::TRIAL_STATE_DIVERGED;
    case 4:
      return pause_requested ? v1::TRIAL_STATE_PAUSED : v1::TRIAL_STATE_STOPPED;
    case 5:  // Reached --stop-at-fraction, checkpointed.
      return pause_requested ? v1::TRIAL_STATE_PAUSED : v1::TRIAL_STATE_WAITING;
    default:
      return v1::TRIAL_STATE_FAILED;
  }
}

std::string ChildVisibleDevice(int ordinal, const char* parent_visible) {
  if (parent_visible == nullptr || *parent_visible == '\0') return std::to_string(ordinal);
  const std::vector<std::string> names = absl::StrSplit(parent_visible, ',');
  if (ordinal < 0 || ordinal >= static_cast<int>(names.size())) return std::to_string(ordinal);
  return std::string(absl::StripAsciiWhitespace(names[ordinal]));
}

v1::TrialState WorseState(v1::TrialState a, v1::TrialState b) {
  auto badness = [](v1::TrialState s) {
    switch (s) {
      case v1::TRIAL_STATE_COMPLETED:
        return 0;
      case v1::TRIAL_STATE_WAITING:
        return 1;
      case v1::TRIAL_STATE_PAUSED:
        return 2;
      case v1::TRIAL_STATE_STOPPED:
        return 3;
      case v1::TRIAL_STATE_DIVERGED:
        return 4;
      default:
        return 5;  // FAILED, or anything a rank should never end in.
    }
  };
  return badness(b) > badness(a) ? b : a;
}

void ProcessTrialRunner::Discard(const std::string& trial_id) {
  const fs::path dir = fs::path(TrialDir(trial_id)) / "checkpoints";
  std::error_code ec;
  uintmax_t bytes = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::error_code size_ec;
    const uintmax_t size = fs::file_size(e.path(), size_ec);
    if (!size_ec) bytes += size;
  }
  const uintmax_t removed = fs::remove_all(dir, ec);
  if (removed == 0 || removed == static_cast<uintmax_t>(-1)) return;
  Log(LogLevel::kInfo, "checkpoints_removed",
      {{"trial", trial_id}, {"bytes", absl::StrCat(bytes)}, {"dir", dir.string()}},
      ec ? absl::StrCat("partly: ", ec.message()) : "the trial ended for good");
}

std::vector<std::string> ProcessTrialRunner::KeptTrials(int limit) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.work_dir, ec)) {
    if (static_cast<int>(out.size()) >= limit) break;
    std::error_code entry_ec;
    if (!fs::is_directory(e.path() / "checkpoints", entry_ec)) continue;
    std::ifstream in(e.path() / kTrialIdFile);
    std::string id;
    if (std::getline(in, id) && !id.empty()) out.push_back(id);
  }
  return out;
}

std::string ProcessTrialRunner::TrialDir(const std::string& trial_id) const {
  return (fs::path(options_.work_dir) / absl::StrReplaceAll(trial_id, {{"/", "_"}})).string();
}

absl::StatusOr<std::unique_ptr<RunningTrial>> ProcessTrialRunner::Start(const v1::Lease& lease,
                                                                        const Placement& placement,
                                                                        Callbacks callbacks) {
  const int world = static_cast<int>(placement.devices.size());
  if (world < 1) return absl::InvalidArgumentError("a trial needs at least one device");
  const std::string dir = TrialDir(lease.trial_id());
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "checkpoints", ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  // The store resumes the trial from this step until the scheduler acknowledges a newer one:
  // the trainer's pruning must keep it (0: nothing committed yet, so nothing is deleted).
  if (absl::Status st = WriteCommittedStep(dir + "/checkpoints", lease.resume_from().step());
      !st.ok()) {
    return st;
  }
  v1::TrialConfig config = lease.config();
  // On a CPU worker the ranks are CPU processes: a trainer told `gpus: k` would pick NCCL for
  // its gradient all-reduce. The GPU count is not part of a checkpoint's identity, so a trial
  // may still move between CPU and GPU workers.
  if (!placement.gpu) config.mutable_resources()->set_gpus(0);
  // JSON is YAML: augur-train reads the config through the same reflection-based loader.
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.add_whitespace = true;
  if (!google::protobuf::util::MessageToJsonString(config, &json, print).ok()) {
    return absl::InternalError("cannot serialize the trial config");
  }
  {
    // The folder's name maps '/' to '_': the id itself is kept for KeptTrials.
    std::ofstream out(fs::path(dir) / kTrialIdFile, std::ios::trunc);
    out << lease.trial_id() << "\n";
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write in ", dir));
  }
  const std::string config_path = dir + "/trial.yaml";
  {
    std::ofstream out(config_path, std::ios::trunc);
    out << json;
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", config_path));
  }
  std::string rendezvous;
  if (world > 1) {
    // Fresh per run: a store directory left by an earlier run (a pause, a crash) would hand
    // the new ranks stale addresses.
    rendezvous = absl::StrCat(dir, "/rendezvous-", lease.fencing_token(), "-",
                              absl::ToUnixNanos(absl::Now()));
    fs::remove_all(rendezvous, ec);
    fs::create_directories(rendezvous, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot create ", rendezvous, ": ", ec.message()));
    }
  }
  TrialProcessOptions base;
  base.binary = options_.train_binary;
  base.args = {"--config",         config_path,          "--out",
               dir + "/curve.csv", "--run-id",           lease.trial_id(),
               "--checkpoint-dir", dir + "/checkpoints", "--emit-jsonl",
               "--quiet"};
  if (options_.threads_per_trial > 0) {
    base.args.push_back("--threads");
    base.args.push_back(std::to_string(options_.threads_per_trial));
  }
  if (lease.run_until_fraction() > 0) {
    base.args.push_back("--stop-at-fraction");
    base.args.push_back(absl::StrFormat("%.17g", lease.run_until_fraction()));
  }
  if (!lease.resume_from().path().empty()) {
    base.args.push_back("--resume");  // Every rank loads the same weights.
    base.args.push_back(lease.resume_from().path());
  }
  std::vector<TrialProcessOptions> ranks;
  for (int i = 0; i < world; ++i) {
    TrialProcessOptions p = base;
    if (world > 1) {
      p.args.insert(p.args.end(), {"--rank", std::to_string(i), "--world-size",
                                   std::to_string(world), "--rendezvous", rendezvous});
    }
    // Each rank sees only its own GPU, as device 0 (the trainer's NCCL path assumes that).
    if (placement.gpu) {
      p.env.push_back(absl::StrCat(
          "CUDA_VISIBLE_DEVICES=",
          ChildVisibleDevice(placement.devices[i], std::getenv("CUDA_VISIBLE_DEVICES"))));
    }
    p.args.insert(p.args.end(), options_.extra_args.begin(), options_.extra_args.end());
    ranks.push_back(std::move(p));
  }
  auto trial =
      std::make_unique<ProcessTrial>(std::move(callbacks), options_.rank_exit_grace, rendezvous,
                                     lease.run_until_fraction(), dir + "/checkpoints");
  if (absl::Status st = trial->Launch(ranks); !st.ok()) {
    if (!rendezvous.empty()) fs::remove_all(rendezvous, ec);
    return st;
  }
  return trial;
}

}  // namespace augur
