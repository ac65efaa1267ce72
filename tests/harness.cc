#include "tests/harness.h"

#include <signal.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/spec.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace augur::testing {

namespace fs = std::filesystem;

absl::StatusOr<std::unique_ptr<Proc>> Proc::Start(const std::string& binary,
                                                  std::vector<std::string> args) {
  auto p = std::unique_ptr<Proc>(new Proc());
  TrialProcessOptions o;
  o.binary = binary;
  o.args = std::move(args);
  Proc* raw = p.get();
  auto started = TrialProcess::Start(o, [raw](const std::string& line) {
    absl::MutexLock lock(&raw->mu_);
    raw->lines_.push_back(line);
  });
  if (!started.ok()) return started.status();
  p->process_ = std::move(*started);
  return p;
}

absl::StatusOr<std::string> Proc::WaitForLine(const std::string& needle, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::string found;
  auto has = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const auto& l : lines_) {
      if (absl::StrContains(l, needle)) {
        found = l;
        return true;
      }
    }
    return false;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("no line with '", needle, "'"));
  }
  return found;
}

void Proc::Kill9() { kill(-process_->pid(), SIGKILL); }

absl::StatusOr<ProcessExit> Proc::Terminate(absl::Duration timeout) {
  process_->Terminate(timeout);
  return process_->WaitFor(timeout + absl::Seconds(5));
}

std::vector<std::string> Proc::lines() {
  absl::MutexLock lock(&mu_);
  return lines_;
}

Binaries FindBinaries() {
  // AUGUR_TEST_BIN_DIR runs the tests against other builds' binaries (e.g. of the commit before
  // a fix, to see a new test fail there): DIR/scheduler/augur-scheduler and so on.
  if (const char* dir = std::getenv("AUGUR_TEST_BIN_DIR")) {
    return {absl::StrCat(dir, "/scheduler/augur-scheduler"),
            absl::StrCat(dir, "/worker/augur-worker"), absl::StrCat(dir, "/trainer/augur-train")};
  }
  return {AUGUR_SCHEDULER_BINARY, AUGUR_WORKER_BINARY, AUGUR_TRAIN_BINARY};
}

absl::StatusOr<std::unique_ptr<Proc>> StartScheduler(const std::string& db, std::string* address,
                                                     std::vector<std::string> extra) {
  std::vector<std::string> args = {"--listen", address->empty() ? "127.0.0.1:0" : *address, "--db",
                                   db};
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = Proc::Start(FindBinaries().scheduler, args);
  if (!p.ok()) return p.status();
  auto line = (*p)->WaitForLine("listening on ", absl::Seconds(30));
  if (!line.ok()) return line.status();
  const size_t at = line->find("listening on ") + 13;
  *address = line->substr(at, line->find(' ', at) - at);
  return p;
}

absl::StatusOr<std::unique_ptr<Proc>> StartWorker(const std::string& address,
                                                  const std::string& worker_id,
                                                  const std::string& work_dir) {
  return Proc::Start(
      FindBinaries().worker,
      {"--scheduler", address, "--worker-id", worker_id, "--work-dir", work_dir, "--gpus", "0",
       "--cpu-slots", "1", "--threads-per-trial", "1", "--train-binary", FindBinaries().trainer});
}

std::unique_ptr<v1::SweepService::Stub> SweepStub(const std::string& address) {
  return v1::SweepService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<v1::WorkerService::Stub> WorkerStub(const std::string& address) {
  return v1::WorkerService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

absl::StatusOr<v1::SweepSpec> LoadTestSpec(const std::string& name) {
  const char* src = std::getenv("AUGUR_SOURCE_DIR");
  const fs::path path = fs::path(src != nullptr ? src : ".") / "tests" / "data" / name;
  return cli::LoadSweepSpec(path, /*check_paths=*/false);
}

absl::StatusOr<v1::SubmitSweepResponse> SubmitSpec(v1::SweepService::Stub& stub,
                                                   const v1::SweepSpec& spec) {
  grpc::ClientContext ctx;
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = spec;
  v1::SubmitSweepResponse resp;
  const grpc::Status st = stub.SubmitSweep(&ctx, req, &resp);
  if (!st.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
  }
  return resp;
}

absl::StatusOr<CurveMap> ExportAll(v1::SweepService::Stub& stub, const std::string& sweep_id) {
  grpc::ClientContext ctx;
  v1::ExportCurvesRequest req;
  req.set_sweep_id(sweep_id);
  auto reader = stub.ExportCurves(&ctx, req);
  CurveMap out;
  v1::TrialCurve curve;
  while (reader->Read(&curve)) {
    out[curve.trial().trial_id()].assign(curve.points().begin(), curve.points().end());
  }
  const grpc::Status st = reader->Finish();
  if (!st.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
  }
  return out;
}

absl::StatusOr<v1::GetSweepResponse> WaitForSweep(v1::SweepService::Stub& stub,
                                                  const std::string& sweep_id,
                                                  absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  v1::GetSweepResponse resp;
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    v1::GetSweepRequest req;
    req.set_sweep_id(sweep_id);
    const grpc::Status st = stub.GetSweep(&ctx, req, &resp);
    if (st.ok() && resp.sweep().state() != v1::Sweep::STATE_RUNNING) return resp;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("sweep ", sweep_id, " still running: ", resp.ShortDebugString().substr(0, 400)));
}

v1::Trial TrialOf(v1::SweepService::Stub& stub, const std::string& sweep_id,
                  const std::string& trial_id) {
  grpc::ClientContext ctx;
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::GetSweepResponse resp;
  if (!stub.GetSweep(&ctx, req, &resp).ok()) return v1::Trial();
  for (const v1::RankingRow& row : resp.ranking()) {
    if (row.trial().trial_id() == trial_id) return row.trial();
  }
  return v1::Trial();
}

}  // namespace augur::testing
