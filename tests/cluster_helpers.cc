#include "tests/cluster_helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace augur::testing {

v1::SubmitSweepResponse Submit(v1::SweepService::Stub& stub, const v1::SweepSpec& spec) {
  auto r = SubmitSpec(stub, spec);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : v1::SubmitSweepResponse();
}

CurveMap Curves(v1::SweepService::Stub& stub, const std::string& sweep_id) {
  auto r = ExportAll(stub, sweep_id);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CurveMap();
}

void ExpectContiguous(const std::vector<v1::LossPoint>& points, int64_t last,
                      const std::string& what) {
  ASSERT_EQ(static_cast<int64_t>(points.size()), last) << what;
  for (int64_t i = 0; i < last; ++i) ASSERT_EQ(points[i].step(), i + 1) << what;
}

std::vector<double> UninterruptedLosses(const v1::TrialConfig& config, const std::string& dir) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(config, &json, o).ok());
  std::ofstream(dir + "/trial.yaml") << json;
  auto p = Proc::Start(FindBinaries().trainer,
                       {"--config", dir + "/trial.yaml", "--out", dir + "/curve.csv",
                        "--emit-jsonl", "--quiet", "--threads", "1"});
  EXPECT_TRUE(p.ok());
  EXPECT_TRUE((*p)->WaitForLine("\"event\":\"end\"", absl::Minutes(5)).ok());
  std::vector<double> losses;
  for (const std::string& line : (*p)->lines()) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "point") losses.push_back(j["loss"].get<double>());
  }
  return losses;
}

void ExpectUninterrupted(v1::SweepService::Stub& stub, const std::string& sweep_id,
                         const v1::Trial& finished, const std::string& dir) {
  const auto curves = Curves(stub, sweep_id);
  const auto& points = curves.at(finished.trial_id());
  ExpectContiguous(points, finished.config().total_steps(), finished.trial_id());
  const std::vector<double> reference = UninterruptedLosses(finished.config(), dir);
  ASSERT_EQ(reference.size(), points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    ASSERT_EQ(points[i].train_loss(), reference[i]) << "step " << i + 1;  // Bit for bit.
  }
}

v1::Trial WaitForCheckpoint(v1::SweepService::Stub& stub, const std::string& sweep_id,
                            const std::string& trial_id, int64_t min_step) {
  v1::Trial trial;
  const absl::Time deadline = absl::Now() + absl::Minutes(3);
  while (absl::Now() < deadline) {
    trial = TrialOf(stub, sweep_id, trial_id);
    if (trial.checkpoint_step() >= min_step &&
        trial.last_point().step() > trial.checkpoint_step() + 5) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GE(trial.checkpoint_step(), min_step) << trial.ShortDebugString();
  return trial;
}

bool TrialAction(v1::SweepService::Stub& stub, const std::string& trial_id, bool pause) {
  grpc::ClientContext ctx;
  v1::TrialActionRequest req;
  req.set_trial_id(trial_id);
  v1::TrialActionResponse resp;
  const grpc::Status st =
      pause ? stub.PauseTrial(&ctx, req, &resp) : stub.ResumeTrial(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return st.ok();
}
void Resume(v1::SweepService::Stub& stub, const std::string& id) { TrialAction(stub, id, false); }

v1::SweepSpec PlainSweep(std::initializer_list<double> lrs) {
  auto spec = LoadTestSpec("tiny_sweep.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  spec->mutable_policy()->set_kind(v1::POLICY_KIND_NONE);
  spec->mutable_search()->mutable_dimensions(0)->clear_values();
  for (double lr : lrs) spec->mutable_search()->mutable_dimensions(0)->add_values(lr);
  return *spec;
}

v1::GetSweepResponse SweepOf(v1::SweepService::Stub& stub, const std::string& sweep_id) {
  grpc::ClientContext ctx;
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::GetSweepResponse resp;
  EXPECT_TRUE(stub.GetSweep(&ctx, req, &resp).ok());
  return resp;
}

int CountCheckpoints(const std::string& dir, const std::string& trial_dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) != 0 || e.path().extension() != ".ckpt") continue;
    n += trial_dir.empty() || e.path().parent_path().parent_path().filename() == trial_dir;
  }
  return n;
}

namespace {

// trial id -> how many augur-train processes run it now, from /proc/*/cmdline.
// A process's command line, "" if it is gone. POSIX reads: libstdc++'s filebuf throws when a
// read fails, and a process that exits while its /proc/PID/cmdline is read fails it (ESRCH).
std::string CommandLine(const char* pid) {
  const int fd = open(absl::StrCat("/proc/", pid, "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::map<std::string, int> CountTrainers() {
  std::map<std::string, int> counts;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return counts;
  while (const dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string cmdline = CommandLine(e->d_name);
    if (cmdline.find("augur-train") == std::string::npos) continue;
    const std::vector<std::string> args = absl::StrSplit(cmdline, '\0');
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--run-id") ++counts[args[i + 1]];
    }
  }
  closedir(proc);
  return counts;
}

}  // namespace

TrainerWatch::TrainerWatch() {
  thread_ = std::thread([this] {
    while (true) {
      std::map<std::string, int> counts = CountTrainers();
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      now_ = counts;
      for (const auto& [id, n] : counts) most_[id] = std::max(most_[id], n);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(20));
    }
  });
}

TrainerWatch::~TrainerWatch() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

int TrainerWatch::MostAtOnce(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  return most_[trial_id];
}

int TrainerWatch::Running(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  return now_[trial_id];
}

}  // namespace augur::testing
