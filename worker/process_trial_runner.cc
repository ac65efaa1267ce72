#include "worker/process_trial_runner.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "worker/trial_process.h"

namespace augur {
namespace {

namespace fs = std::filesystem;

class ProcessTrial : public RunningTrial {
 public:
  ProcessTrial(TrialRunner::Callbacks cb) : cb_(std::move(cb)) {}
  ~ProcessTrial() override {
    process_.reset();  // Kills the child if it still runs; joins its reader.
    if (waiter_.joinable()) waiter_.join();
  }

  absl::Status Launch(const TrialProcessOptions& options) {
    auto p = TrialProcess::Start(options, [this](const std::string& line) { OnLine(line); });
    if (!p.ok()) return p.status();
    process_ = std::move(*p);
    waiter_ = std::thread([this] {
      const ProcessExit exit = process_->Wait();
      const v1::TrialState state = StateForExit(exit.exited, exit.code, pause_requested_);
      std::string message = end_message_;
      if (state == v1::TRIAL_STATE_FAILED) {
        message = absl::StrCat("augur-train ", exit.Describe(), ": ", exit.stderr_tail);
      }
      cb_.on_end(state, message, last_step_);
    });
    return absl::OkStatus();
  }

  void Stop() override {
    if (process_) process_->Terminate(absl::Seconds(2));
  }
  void Pause() override {
    pause_requested_ = true;
    if (process_) process_->Terminate(absl::Seconds(120));  // Time to write the checkpoint.
  }

 private:
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
    }
  }

  TrialRunner::Callbacks cb_;
  std::unique_ptr<TrialProcess> process_;
  std::thread waiter_;
  std::atomic<bool> pause_requested_{false};
  std::atomic<int64_t> last_step_{0};
  std::string end_message_;  // Written by the reader thread before the process is reaped.
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
    default:
      return v1::TRIAL_STATE_FAILED;
  }
}

std::string ProcessTrialRunner::TrialDir(const std::string& trial_id) const {
  return (fs::path(options_.work_dir) / absl::StrReplaceAll(trial_id, {{"/", "_"}})).string();
}

absl::StatusOr<std::unique_ptr<RunningTrial>> ProcessTrialRunner::Start(const v1::Lease& lease,
                                                                        Callbacks callbacks) {
  const std::string dir = TrialDir(lease.trial_id());
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "checkpoints", ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  // JSON is YAML: augur-train reads the config through the same reflection-based loader.
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.add_whitespace = true;
  if (!google::protobuf::util::MessageToJsonString(lease.config(), &json, print).ok()) {
    return absl::InternalError("cannot serialize the trial config");
  }
  const std::string config_path = dir + "/trial.yaml";
  {
    std::ofstream out(config_path, std::ios::trunc);
    out << json;
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", config_path));
  }
  TrialProcessOptions p;
  p.binary = options_.train_binary;
  p.args = {"--config",         config_path,          "--out",
            dir + "/curve.csv", "--run-id",           lease.trial_id(),
            "--checkpoint-dir", dir + "/checkpoints", "--emit-jsonl",
            "--quiet"};
  if (options_.threads_per_trial > 0) {
    p.args.push_back("--threads");
    p.args.push_back(std::to_string(options_.threads_per_trial));
  }
  if (!lease.resume_from().path().empty()) {
    p.args.push_back("--resume");
    p.args.push_back(lease.resume_from().path());
  }
  p.args.insert(p.args.end(), options_.extra_args.begin(), options_.extra_args.end());
  auto trial = std::make_unique<ProcessTrial>(std::move(callbacks));
  if (absl::Status st = trial->Launch(p); !st.ok()) return st;
  return trial;
}

}  // namespace augur
