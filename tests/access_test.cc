// Access control on every RPC, table-driven (issue 17): each method of SweepService and
// WorkerService is called by each kind of caller against a scheduler with a tokens file, and
// every refusal must carry the right code, be counted and logged without the token, and change
// nothing. The table must name every method the services declare (checked against the proto
// descriptors), so a new RPC without a row fails here.
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/client_auth.h"
#include "common/log.h"
#include "gtest/gtest.h"
#include "scheduler/server.h"
#include "tests/harness.h"

namespace augur::testing {
namespace {

enum class Needs { kView, kSubmit, kOwner, kWorker };

struct Method {
  std::string name;
  Needs needs;
  // Calls the method on `sweep_id` (its first trial for trial actions) over `channel`.
  std::function<grpc::Status(grpc::Channel&, const std::string& sweep_id)> call;
};

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

template <typename Req, typename Resp, typename Fn>
grpc::Status Unary(grpc::Channel& ch, Fn fn, const Req& req) {
  auto stub = v1::SweepService::NewStub(std::shared_ptr<grpc::Channel>(&ch, [](auto*) {}));
  Resp resp;
  return ((*stub).*fn)(Context().get(), req, &resp);
}

v1::TrialActionRequest FirstTrial(const std::string& sweep_id) {
  v1::TrialActionRequest r;
  r.set_trial_id(sweep_id + "/t000");
  r.set_reason("access test");
  return r;
}

// The session token of a worker registered (by the admin) before the calls under test.
std::string& SessionToken() {
  static auto* token = new std::string;
  return *token;
}

std::vector<Method> AllMethods() {
  using S = v1::SweepService::Stub;
  std::vector<Method> m;
  m.push_back({"SubmitSweep", Needs::kSubmit, [](grpc::Channel& ch, const std::string&) {
                 v1::SubmitSweepRequest r;
                 *r.mutable_spec() = *LoadTestSpec("tiny_sweep.yaml");
                 return Unary<v1::SubmitSweepRequest, v1::SubmitSweepResponse>(ch, &S::SubmitSweep,
                                                                               r);
               }});
  m.push_back({"ListSweeps", Needs::kView, [](grpc::Channel& ch, const std::string&) {
                 return Unary<v1::ListSweepsRequest, v1::ListSweepsResponse>(ch, &S::ListSweeps,
                                                                             {});
               }});
  m.push_back({"GetSweep", Needs::kView, [](grpc::Channel& ch, const std::string& id) {
                 v1::GetSweepRequest r;
                 r.set_sweep_id(id);
                 return Unary<v1::GetSweepRequest, v1::GetSweepResponse>(ch, &S::GetSweep, r);
               }});
  m.push_back({"WatchRanking", Needs::kView, [](grpc::Channel& ch, const std::string& id) {
                 auto stub =
                     v1::SweepService::NewStub(std::shared_ptr<grpc::Channel>(&ch, [](auto*) {}));
                 v1::WatchRankingRequest r;
                 r.set_sweep_id(id);
                 auto ctx = Context();
                 auto reader = stub->WatchRanking(ctx.get(), r);
                 v1::WatchRankingResponse update;
                 if (reader->Read(&update)) return grpc::Status::OK;  // Allowed: it streams.
                 return reader->Finish();
               }});
  for (const char* action : {"StopTrial", "PauseTrial", "ResumeTrial"}) {
    const std::string name = action;
    m.push_back({name, Needs::kOwner, [name](grpc::Channel& ch, const std::string& id) {
                   auto fn = name == "StopTrial"    ? &S::StopTrial
                             : name == "PauseTrial" ? &S::PauseTrial
                                                    : &S::ResumeTrial;
                   return Unary<v1::TrialActionRequest, v1::TrialActionResponse>(ch, fn,
                                                                                 FirstTrial(id));
                 }});
  }
  m.push_back({"CancelSweep", Needs::kOwner, [](grpc::Channel& ch, const std::string& id) {
                 v1::CancelSweepRequest r;
                 r.set_sweep_id(id);
                 return Unary<v1::CancelSweepRequest, v1::CancelSweepResponse>(ch, &S::CancelSweep,
                                                                               r);
               }});
  m.push_back({"DeleteSweep", Needs::kOwner, [](grpc::Channel& ch, const std::string& id) {
                 v1::DeleteSweepRequest r;
                 r.set_sweep_id(id);
                 r.set_force(true);
                 return Unary<v1::DeleteSweepRequest, v1::DeleteSweepResponse>(ch, &S::DeleteSweep,
                                                                               r);
               }});
  m.push_back({"AnnotateSweep", Needs::kOwner, [](grpc::Channel& ch, const std::string& id) {
                 v1::AnnotateSweepRequest r;
                 r.set_sweep_id(id);
                 r.add_add_tags("touched");
                 return Unary<v1::AnnotateSweepRequest, v1::AnnotateSweepResponse>(
                     ch, &S::AnnotateSweep, r);
               }});
  m.push_back({"ExportCurves", Needs::kView, [](grpc::Channel& ch, const std::string& id) {
                 auto stub =
                     v1::SweepService::NewStub(std::shared_ptr<grpc::Channel>(&ch, [](auto*) {}));
                 v1::ExportCurvesRequest r;
                 r.set_sweep_id(id);
                 auto ctx = Context();
                 auto reader = stub->ExportCurves(ctx.get(), r);
                 v1::TrialCurve curve;
                 while (reader->Read(&curve)) {
                 }
                 return reader->Finish();
               }});
  m.push_back({"ListWorkers", Needs::kView, [](grpc::Channel& ch, const std::string&) {
                 return Unary<v1::ListWorkersRequest, v1::ListWorkersResponse>(ch, &S::ListWorkers,
                                                                               {});
               }});
  m.push_back({"RegisterWorker", Needs::kWorker, [](grpc::Channel& ch, const std::string&) {
                 auto stub =
                     v1::WorkerService::NewStub(std::shared_ptr<grpc::Channel>(&ch, [](auto*) {}));
                 v1::RegisterWorkerRequest r;
                 r.set_worker_id("access-test-registrant");
                 r.set_cpu_slots(1);
                 r.set_device("cpu");
                 v1::RegisterWorkerResponse resp;
                 return stub->RegisterWorker(Context().get(), r, &resp);
               }});
  m.push_back({"Session", Needs::kWorker, [](grpc::Channel& ch, const std::string&) {
                 // With a real session token, so that an allowed session opens (and ends OK
                 // when the client closes it); a refused one is refused before the hello.
                 auto stub =
                     v1::WorkerService::NewStub(std::shared_ptr<grpc::Channel>(&ch, [](auto*) {}));
                 auto ctx = Context();
                 auto stream = stub->Session(ctx.get());
                 v1::WorkerMessage hello;
                 hello.mutable_hello()->set_worker_id("access-test-worker");
                 hello.mutable_hello()->set_session_token(SessionToken());
                 stream->Write(hello);
                 stream->WritesDone();
                 v1::SchedulerMessage ignored;
                 while (stream->Read(&ignored)) {
                 }
                 return stream->Finish();
               }});
  return m;
}

struct CallerKind {
  std::string label, token;
  bool owner = false;
  std::set<Needs> allowed;
};

const std::vector<CallerKind>& Callers() {
  static const auto* callers = new std::vector<CallerKind>{
      {"no token", "", false, {}},
      {"unknown token", "not-a-t0ken", false, {}},
      {"view", "v1ew-t0ken", false, {Needs::kView}},
      {"worker", "w0rker-t0ken", false, {Needs::kWorker}},
      {"submit, not the owner", "b0b-t0ken", false, {Needs::kView, Needs::kSubmit}},
      {"submit, the owner", "al1ce-t0ken", true, {Needs::kView, Needs::kSubmit, Needs::kOwner}},
      {"admin",
       "adm1n-t0ken",
       false,
       {Needs::kView, Needs::kSubmit, Needs::kOwner, Needs::kWorker}},
  };
  return *callers;
}

class Access : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& dir = tmp_.path();
    ServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.db_path = dir + "/augur.db";
    o.tokens_file = dir + "/tokens";
    std::ofstream(o.tokens_file) << "admin adm1n-t0ken root\n"
                                    "submit al1ce-t0ken alice\n"
                                    "submit b0b-t0ken bob\n"
                                    "view v1ew-t0ken viewer\n"
                                    "# hashed: the SHA-256 of w0rker-t0ken\n"
                                    "worker sha256:"
                                 << TokenDigestHex("w0rker-t0ken") << " nodes\n";
    auto server = SchedulerServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto stub = v1::WorkerService::NewStub(Channel("adm1n-t0ken"));
    v1::RegisterWorkerRequest r;
    r.set_worker_id("access-test-worker");
    r.set_cpu_slots(1);
    r.set_device("cpu");
    v1::RegisterWorkerResponse registered;
    ASSERT_TRUE(stub->RegisterWorker(Context().get(), r, &registered).ok());
    SessionToken() = registered.session_token();
  }
  std::shared_ptr<grpc::Channel> Channel(const std::string& token) {
    return *SchedulerChannel(server_->address(), {token, {}});
  }
  std::string SubmitAsAlice() {
    auto stub = v1::SweepService::NewStub(Channel("al1ce-t0ken"));
    v1::SubmitSweepRequest r;
    *r.mutable_spec() = *LoadTestSpec("tiny_sweep.yaml");
    v1::SubmitSweepResponse resp;
    EXPECT_TRUE(stub->SubmitSweep(Context().get(), r, &resp).ok());
    EXPECT_EQ(resp.sweep().owner(), "alice");
    return resp.sweep().sweep_id();
  }
  // Everything a caller could change, as the admin sees it.
  std::string Snapshot() {
    auto stub = v1::SweepService::NewStub(Channel("adm1n-t0ken"));
    std::string out;
    v1::ListSweepsResponse sweeps;
    EXPECT_TRUE(stub->ListSweeps(Context().get(), {}, &sweeps).ok());
    out += sweeps.SerializeAsString();
    for (const v1::Sweep& s : sweeps.sweeps()) {
      v1::GetSweepRequest r;
      r.set_sweep_id(s.sweep_id());
      v1::GetSweepResponse got;
      EXPECT_TRUE(stub->GetSweep(Context().get(), r, &got).ok());
      out += got.SerializeAsString();
    }
    v1::ListWorkersResponse workers;
    EXPECT_TRUE(stub->ListWorkers(Context().get(), {}, &workers).ok());
    for (const v1::WorkerInfo& w : workers.workers()) out += w.SerializeAsString();
    return out;
  }
  const TempDir tmp_{"access"};  // The store and tokens; removed after the server stops.
  std::unique_ptr<SchedulerServer> server_;
};

TEST_F(Access, TheTableCoversEveryRpcOfBothServices) {
  std::set<std::string> declared, tabled;
  for (const auto* service :
       {v1::SweepService::service_full_name(), v1::WorkerService::service_full_name()}) {
    const auto* d = v1::SweepSpec::descriptor()->file()->pool()->FindServiceByName(service);
    ASSERT_NE(d, nullptr) << service;
    for (int i = 0; i < d->method_count(); ++i) declared.insert(d->method(i)->name());
  }
  for (const Method& m : AllMethods()) tabled.insert(m.name);
  EXPECT_EQ(declared, tabled);
}

TEST_F(Access, EveryRefusedCallHasItsCodeIsCountedAndLoggedWithoutTheTokenAndChangesNothing) {
  const std::string sweep_id = SubmitAsAlice();
  std::vector<std::string> log;
  SetLogSinkForTest([&log](const std::string& line) { log.push_back(line); });
  const std::string before = Snapshot();
  int refused = 0;
  for (const CallerKind& caller : Callers()) {
    auto channel = Channel(caller.token);
    for (const Method& m : AllMethods()) {
      if (caller.allowed.count(m.needs)) continue;
      const grpc::Status s = m.call(*channel, sweep_id);
      const auto want = caller.token.empty() || caller.label == "unknown token"
                            ? grpc::StatusCode::UNAUTHENTICATED
                            : grpc::StatusCode::PERMISSION_DENIED;
      EXPECT_EQ(s.error_code(), want)
          << m.name << " by " << caller.label << ": " << s.error_message();
      ++refused;
      EXPECT_EQ(Snapshot(), before) << m.name << " by " << caller.label << " changed something";
    }
  }
  SetLogSinkForTest(nullptr);
  auto admin = v1::SweepService::NewStub(Channel("adm1n-t0ken"));
  v1::ListWorkersResponse workers;
  ASSERT_TRUE(admin->ListWorkers(Context().get(), {}, &workers).ok());
  EXPECT_EQ(workers.refused_calls(), refused);
  int logged = 0;
  for (const std::string& line : log) {
    if (!absl::StrContains(line, "call_refused")) continue;
    ++logged;
    EXPECT_TRUE(absl::StrContains(line, "method=")) << line;
    EXPECT_TRUE(absl::StrContains(line, "caller=")) << line;
    for (const CallerKind& c : Callers()) {
      if (!c.token.empty()) {
        EXPECT_FALSE(absl::StrContains(line, c.token)) << line;
      }
    }
  }
  EXPECT_EQ(logged, refused);
  EXPECT_GE(refused, 50);  // 7 kinds of caller x 14 methods, less the allowed ones.
}

TEST_F(Access, AllowedCallersPassTheCheckOnEveryRpc) {
  for (const CallerKind& caller : Callers()) {
    auto channel = Channel(caller.token);
    for (const Method& m : AllMethods()) {
      if (!caller.allowed.count(m.needs)) continue;
      const std::string sweep_id = SubmitAsAlice();  // Fresh: an allowed call may delete it.
      const grpc::Status s = m.call(*channel, sweep_id);
      EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << m.name << " by " << caller.label << ": " << s.error_message();
      EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << m.name << " by " << caller.label << ": " << s.error_message();
    }
  }
}

}  // namespace
}  // namespace augur::testing
