#include "bench/scheduler/load_phase.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "augur/v1/sweep.grpc.pb.h"
#include "bench/scheduler/latency_recorder.h"
#include "bench/scheduler/sim_worker.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "scheduler/planner.h"
#include "scheduler/server.h"

namespace augur::bench {
namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

double RssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

// A small model whose planned total_steps is at least `min_steps`, every trial in one collapse
// group (tau fixed, only the peak LR searched), median rule at the given milestones.
v1::SweepSpec BenchSpec(int trials, int64_t min_steps, const std::vector<double>& milestones,
                        bool stopping) {
  v1::SweepSpec spec;
  spec.set_name(absl::StrCat("bench-scheduler-", trials));
  v1::ModelSize* size = spec.add_sizes();
  size->set_name("w256");
  v1::ModelShape* shape = size->mutable_shape();
  shape->set_width(256);
  shape->set_depth(2);
  shape->set_heads(4);
  shape->set_context_tokens(64);
  shape->set_vocab_size(256);
  shape->set_base_width(128);
  shape->set_mlp_ratio(4);
  spec.mutable_data()->set_path("/nonexistent/synthetic.txt");  // Never read: no training.
  // 2 layers x 12 x 256^2 = 1.57M non-embedding parameters; 512 tokens per step: a trial has
  // about 3,072 steps per token-per-parameter.
  spec.set_tokens_per_param(std::max(20.0, std::ceil(static_cast<double>(min_steps) / 3000.0)));
  spec.mutable_schedule()->set_shape(v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  spec.mutable_schedule()->set_warmup_fraction(0.1);
  spec.mutable_optimizer()->set_peak_lr(0.01);
  spec.mutable_optimizer()->set_tau(0.2);
  spec.set_batch_sequences(8);
  v1::SearchSpace* search = spec.mutable_search();
  search->set_method(v1::SEARCH_METHOD_RANDOM);
  search->set_trials(trials);
  search->set_sample_seed(1);
  v1::SearchDimension* d = search->add_dimensions();
  d->set_parameter(v1::SEARCH_PARAMETER_PEAK_LR);
  d->set_min(1e-3);
  d->set_max(3e-2);
  d->set_log_scale(true);
  v1::StoppingPolicy* policy = spec.mutable_policy();
  policy->set_kind(stopping ? v1::POLICY_KIND_MEDIAN : v1::POLICY_KIND_NONE);
  if (stopping) {
    for (double m : milestones) policy->add_milestone_fractions(m);
  }
  // Decisions on arrival: the simulated workers train on past the milestones (they do not stop
  // at Lease.run_until_fraction), and it is the stop-order latency of that path that is measured.
  policy->set_asynchronous(true);
  spec.add_seeds(0);
  spec.set_eval_interval_steps(1000);
  spec.set_eval_sequences(16);
  spec.set_checkpoint_interval_steps(1000);
  spec.mutable_resources()->set_cpu_threads(1);
  return spec;
}

}  // namespace

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * v.size()));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

absl::StatusOr<PhaseResult> RunPhase(const PhaseOptions& o) {
  PhaseResult r;
  LatencyRecorder recorder;  // Outlives the server.
  std::unique_ptr<SchedulerServer> server;
  std::string address = o.external_address;
  if (address.empty()) {
    ServerOptions so;
    so.scheduler.observer = &recorder;
    so.listen_address = "127.0.0.1:0";
    so.db_path = absl::StrCat(o.dir, "/sched-", o.concurrent_trials, ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((so.db_path + suffix).c_str());
    auto started = SchedulerServer::Start(so);
    if (!started.ok()) return started.status();
    server = std::move(*started);
    address = server->address();
  }
  grpc::ChannelArguments big;
  big.SetMaxReceiveMessageSize(256 << 20);  // GetSweep of thousands of trials and decisions.
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), big);
  auto sweeps = v1::SweepService::NewStub(channel);
  const int trials = o.concurrent_trials * o.rounds;
  std::string sweep_id;
  {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = BenchSpec(trials, o.points_per_trial, o.milestones, o.stopping);
    v1::SubmitSweepResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::Status st = sweeps->SubmitSweep(&ctx, req, &resp);
    if (!st.ok()) return absl::InternalError(absl::StrCat("SubmitSweep: ", st.error_message()));
    r.trials = resp.planned_trials();
    sweep_id = resp.sweep().sweep_id();
  }

  // N slots spread over K workers.
  const int k = std::max(1, std::min(o.workers, o.concurrent_trials));
  r.workers = k;
  std::vector<std::unique_ptr<SimWorker>> workers;
  for (int i = 0; i < k; ++i) {
    SimWorkerOptions wo;
    wo.worker_id = absl::StrCat("sim-", o.concurrent_trials, "-", i);
    wo.slots = o.concurrent_trials / k + (i < o.concurrent_trials % k ? 1 : 0);
    wo.batch_points = o.batch_points;
    wo.window_batches = o.window_batches;
    wo.points_per_trial = o.points_per_trial;
    wo.milestones = o.milestones;
    wo.points_per_second = o.points_per_second / k;
    // Each worker gets its own channel (its own TCP connection), as separate hosts would.
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // Distinct arguments: no subchannel sharing.
    workers.push_back(std::make_unique<SimWorker>(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args), wo));
  }
  const double cpu0 = CpuSeconds();
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });

  // Samples of (time, acked points) for the steady-state rate.
  std::vector<std::pair<double, int64_t>> samples;
  while (true) {
    absl::SleepFor(absl::Milliseconds(100));
    int active = 0;
    int64_t leases = 0, acked = 0;
    bool errored = false;
    for (auto& w : workers) {
      const SimWorker::Progress p = w->progress();
      active += p.active_trials;
      leases += p.leases;
      acked += p.points_acked;
      errored |= p.failed;
    }
    const double t = absl::ToDoubleSeconds(absl::Now() - start);
    samples.push_back({t, acked});
    if (r.lease_seconds < 0 && active >= o.concurrent_trials) r.lease_seconds = t;
    r.max_active = std::max(r.max_active, active);
    if (leases >= r.trials && active == 0) {
      r.finished = true;
      break;
    }
    if (errored || absl::Now() - start >= o.max_duration) break;
  }
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (auto& w : workers) w->RequestStop();
  for (auto& t : threads) t.join();
  r.cpu_seconds = CpuSeconds() - cpu0;
  r.rss_mb = RssMb();

  for (auto& w : workers) {
    const SimWorkerStats s = w->stats();
    r.points_acked += s.points_acked;
    r.batches_acked += s.batches_acked;
    r.stop_orders += s.stop_orders;
    r.completed += s.completed;
    r.rejections += s.rejections;
    r.total_steps = std::max(r.total_steps, s.total_steps);
    r.ack_ms.insert(r.ack_ms.end(), s.ack_latency_ms.begin(), s.ack_latency_ms.end());
    if (r.first_problem.empty() && !s.error.empty()) r.first_problem = s.error;
    if (r.first_problem.empty() && !s.first_rejection.empty()) {
      r.first_problem = "rejection: " + s.first_rejection;
    }
  }
  if (server) {  // Before CancelSweep below, whose stops would count as samples too.
    LatencyRecorder::Figures f = recorder.figures();
    r.points_committed = f.points_committed;
    r.server_stop_ms = std::move(f.stop_ms);
    r.decision_round_ms = std::move(f.round_ms);
    r.round_wait_ms = std::move(f.wait_ms);
    r.stop_before_round_ms = std::move(f.before_round_ms);
    r.round_policy_ms = std::move(f.policy_ms);
    r.round_commit_ms = std::move(f.commit_ms);
  }
  // Match each stop order with the milestone its STOP decision names.
  std::map<std::string, TrialTimeline> timelines;
  for (auto& w : workers) timelines.merge(w->timelines());
  {
    v1::GetSweepRequest req;
    req.set_sweep_id(sweep_id);
    v1::GetSweepResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::Status st = sweeps->GetSweep(&ctx, req, &resp);
    if (!st.ok()) return absl::InternalError(absl::StrCat("GetSweep: ", st.error_message()));
    int64_t matched = 0;
    for (const v1::Decision& d : resp.decisions()) {
      if (d.action() != v1::DECISION_ACTION_STOP) continue;
      auto it = timelines.find(d.trial_id());
      if (it == timelines.end() || it->second.stopped == absl::InfinitePast()) continue;
      for (size_t i = 0; i < o.milestones.size(); ++i) {
        if (std::abs(o.milestones[i] - d.milestone_fraction()) > 1e-9) continue;
        const absl::Time crossed = it->second.crossed[i];
        if (crossed == absl::InfinitePast()) break;
        r.client_stop_ms.push_back(absl::ToDoubleMilliseconds(it->second.stopped - crossed));
        ++matched;
      }
    }
    r.unmatched_stops = r.stop_orders - matched;
  }
  {
    // An external scheduler would otherwise hand this sweep's leftovers to the next phase.
    v1::CancelSweepRequest req;
    req.set_sweep_id(sweep_id);
    v1::CancelSweepResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    sweeps->CancelSweep(&ctx, req, &resp).ok();  // Best effort: the figures are taken.
  }
  // Steady state: between 10% and 90% of the points acknowledged in the phase (leaves out the
  // start-up and the tail of a sweep running out of trials).
  r.steady_rate = 0;
  if (!samples.empty() && samples.back().second > 0) {
    const int64_t total = samples.back().second;
    auto at = [&](double share) {
      for (const auto& s : samples) {
        if (s.second >= share * total) return s;
      }
      return samples.back();
    };
    const auto a = at(0.1), b = at(0.9);
    if (b.first > a.first) r.steady_rate = (b.second - a.second) / (b.first - a.first);
  }
  if (server) server->Shutdown();
  return r;
}

}  // namespace augur::bench
