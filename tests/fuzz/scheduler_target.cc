// The scheduler's request handlers under fuzzing: each input is a sequence of records
//   [kind: 1 byte][length: 2 bytes, little-endian][payload: a request proto's wire bytes]
// applied in order to a fresh scheduler over an in-memory store (FakeClock, seeded random):
// SweepService requests go through the gRPC handlers of scheduler/services.h, WorkerMessages
// through the session path the Session handler feeds. A seed sweep is submitted and a worker
// holds one lease first, and in worker messages the trial id "T" and fencing token 1 stand for
// that lease's, so that mutations reach past the fencing checks.
#include <memory>
#include <string>

#include "augur/v1/sweep.pb.h"
#include "augur/v1/worker.pb.h"
#include "cli/spec.h"
#include "common/clock.h"
#include "common/random.h"
#include "grpcpp/server_context.h"
#include "scheduler/auth.h"
#include "scheduler/memory_store.h"
#include "scheduler/planner.h"
#include "scheduler/scheduler.h"
#include "scheduler/services.h"
#include "tests/fuzz/fuzz_targets.h"

namespace augur::fuzz {
namespace {

cli::SpecParseOptions NoPathChecks() {
  cli::SpecParseOptions o;
  o.check_paths = false;
  return o;
}

// A sweep of two trials with early stopping, so that points reach the decision path.
const v1::SweepSpec& SeedSpec() {
  static const auto* spec = new v1::SweepSpec(*cli::ParseSweepSpec(R"(name: fuzz
model: {depth: 1, heads: 2, context: 16, sizes: [{name: w16, width: 16}]}
data: {corpus: kjv}
tokens_per_param: 1
schedule: {shape: linear_decay, warmup_fraction: 0.1}
optimizer: {tau: 0.2}
batch_sequences: 2
search: {method: grid, parameters: {lr: [0.002, 0.02]}}
policy: {kind: collapse, milestones: [0.2, 0.5], keep_top: 1}
seeds: [0]
checkpoint_interval_steps: 5
)",
                                                                   NoPathChecks()));
  return *spec;
}

template <typename Req, typename Resp, typename Handler>
void Call(const std::string& payload, Handler handler) {
  Req req;
  if (!req.ParseFromString(payload)) return;
  Resp resp;
  grpc::ServerContext ctx;
  (void)handler(&ctx, &req, &resp);
}

template <typename M>
void Substitute(const v1::Lease& lease, M* m) {
  if (m->trial_id() == "T") m->set_trial_id(lease.trial_id());
  if (m->fencing_token() == 1) m->set_fencing_token(lease.fencing_token());
}

}  // namespace

void FuzzSchedulerRequests(const uint8_t* data, size_t size) {
  FakeClock clock;
  SeededRandom random(17);
  MemoryStore store(clock, &random);
  SchedulerOptions options;
  options.random = &random;
  options.limits.max_trials = 64;  // An operator's limit; keeps each input cheap.
  options.limits.max_points_per_trial = 10'000;
  Scheduler scheduler(&store, &clock, options, [](const v1::SweepSpec& s, const std::string& id) {
    return StreamSweep(s, id);
  });
  scheduler.Start();
  Authorizer open;  // Access control has its own tests; here every call reaches its handler.
  SweepServiceImpl sweeps(&scheduler, &open);
  v1::SubmitSweepRequest seed;
  *seed.mutable_spec() = SeedSpec();
  (void)scheduler.Submit(seed);
  v1::RegisterWorkerRequest reg;
  reg.set_worker_id("w");
  reg.set_cpu_slots(1);
  reg.set_device("cpu");
  auto registered = scheduler.RegisterWorker(reg);
  std::shared_ptr<WorkerSession> session;
  v1::Lease lease;
  if (registered.ok()) {
    v1::SessionHello hello;
    hello.set_worker_id("w");
    hello.set_session_token(registered->session_token());
    auto opened = scheduler.OpenSession(hello);
    if (opened.ok()) session = *opened;
    v1::WorkerMessage ask;
    ask.mutable_lease_request()->set_slots(1);
    if (session) scheduler.HandleWorkerMessage(session, ask);
    scheduler.WaitUntilIdle();
    v1::SchedulerMessage out;
    while (session && session->Next(&out, absl::ZeroDuration())) {
      if (out.has_lease()) lease = out.lease();
    }
  }

  size_t at = 0;
  while (at + 3 <= size) {
    const uint8_t kind = data[at];
    const size_t length = std::min<size_t>(data[at + 1] | (data[at + 2] << 8), size - at - 3);
    const std::string payload(reinterpret_cast<const char*>(data + at + 3), length);
    at += 3 + length;
    using S = SweepServiceImpl;
    const auto bind = [&](auto method) {
      return [&, method](auto* ctx, auto* req, auto* resp) {
        return (sweeps.*method)(ctx, req, resp);
      };
    };
    switch (kind % 14) {
      case 0:
        Call<v1::SubmitSweepRequest, v1::SubmitSweepResponse>(payload, bind(&S::SubmitSweep));
        break;
      case 1:
        Call<v1::ListSweepsRequest, v1::ListSweepsResponse>(payload, bind(&S::ListSweeps));
        break;
      case 2:
        Call<v1::GetSweepRequest, v1::GetSweepResponse>(payload, bind(&S::GetSweep));
        break;
      case 3:
        Call<v1::TrialActionRequest, v1::TrialActionResponse>(payload, bind(&S::StopTrial));
        break;
      case 4:
        Call<v1::TrialActionRequest, v1::TrialActionResponse>(payload, bind(&S::PauseTrial));
        break;
      case 5:
        Call<v1::TrialActionRequest, v1::TrialActionResponse>(payload, bind(&S::ResumeTrial));
        break;
      case 6:
        Call<v1::CancelSweepRequest, v1::CancelSweepResponse>(payload, bind(&S::CancelSweep));
        break;
      case 7:
        Call<v1::DeleteSweepRequest, v1::DeleteSweepResponse>(payload, bind(&S::DeleteSweep));
        break;
      case 8:
        Call<v1::AnnotateSweepRequest, v1::AnnotateSweepResponse>(payload, bind(&S::AnnotateSweep));
        break;
      case 9:
        Call<v1::ListWorkersRequest, v1::ListWorkersResponse>(payload, bind(&S::ListWorkers));
        break;
      case 10: {
        v1::RegisterWorkerRequest req;
        if (req.ParseFromString(payload)) (void)scheduler.RegisterWorker(req);
        break;
      }
      case 11: {
        v1::WorkerMessage msg;
        if (!session || !msg.ParseFromString(payload)) break;
        if (msg.has_points()) Substitute(lease, msg.mutable_points());
        if (msg.has_checkpoint()) Substitute(lease, msg.mutable_checkpoint());
        if (msg.has_ended()) Substitute(lease, msg.mutable_ended());
        scheduler.HandleWorkerMessage(session, msg);
        break;
      }
      case 12:  // Time passes: leases may expire.
        clock.Advance(absl::Milliseconds(length * 100));
        break;
      case 13:
        scheduler.WaitUntilIdle();
        break;
    }
  }
  scheduler.WaitUntilIdle();
  scheduler.Stop();
}

}  // namespace augur::fuzz
