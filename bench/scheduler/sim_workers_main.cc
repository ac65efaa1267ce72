// bench_sim_workers: simulated workers (sim_worker.h) that train whatever a running scheduler
// leases them, for a set time, then print one JSON line of what they did. The scale benchmark
// (bench/scale/bench_scale.py) runs it against a large sweep to measure the scheduler while
// the sweep trains.
//
//   bench_sim_workers --scheduler=HOST:PORT [--workers=4] [--slots=4] [--seconds=30]
//                     [--points-per-trial=10] [--batch=10] [--rate=0]
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/scheduler/sim_worker.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace {

struct Flags {
  std::string scheduler;
  int workers = 4;
  int slots = 4;
  double seconds = 30;
  int64_t points_per_trial = 10;
  int batch = 10;
  double rate = 0;  // Points per second over all workers; 0: as fast as acknowledged.
};

bool Parse(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
    bool ok = true;
    if (name == "--scheduler") {
      f.scheduler = value;
    } else if (name == "--workers") {
      ok = absl::SimpleAtoi(value, &f.workers) && f.workers > 0;
    } else if (name == "--slots") {
      ok = absl::SimpleAtoi(value, &f.slots) && f.slots > 0;
    } else if (name == "--seconds") {
      ok = absl::SimpleAtod(value, &f.seconds) && f.seconds > 0;
    } else if (name == "--points-per-trial") {
      ok = absl::SimpleAtoi(value, &f.points_per_trial) && f.points_per_trial > 0;
    } else if (name == "--batch") {
      ok = absl::SimpleAtoi(value, &f.batch) && f.batch > 0;
    } else if (name == "--rate") {
      ok = absl::SimpleAtod(value, &f.rate) && f.rate >= 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bench_sim_workers: bad argument '%s'\n", a.c_str());
      return false;
    }
  }
  if (f.scheduler.empty()) std::fprintf(stderr, "bench_sim_workers: --scheduler is required\n");
  return !f.scheduler.empty();
}

}  // namespace

int main(int argc, char** argv) {
  using augur::bench::SimWorker;
  Flags f;
  if (!Parse(argc, argv, f)) return 2;
  std::vector<std::unique_ptr<SimWorker>> workers;
  for (int i = 0; i < f.workers; ++i) {
    augur::bench::SimWorkerOptions o;
    o.worker_id = absl::StrCat("scale-sim-", i);
    o.slots = f.slots;
    o.batch_points = f.batch;
    o.points_per_trial = f.points_per_trial;
    o.points_per_second = f.rate / f.workers;
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // Its own connection, as a separate host would have.
    workers.push_back(std::make_unique<SimWorker>(
        grpc::CreateCustomChannel(f.scheduler, grpc::InsecureChannelCredentials(), args), o));
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
  absl::SleepFor(absl::Seconds(f.seconds));  // A benchmark's wall time, not a test's.
  for (auto& w : workers) w->RequestStop();
  for (auto& t : threads) t.join();
  int64_t leases = 0, acked = 0, completed = 0;
  std::string error;
  for (auto& w : workers) {
    const augur::bench::SimWorkerStats s = w->stats();
    leases += s.leases;
    acked += s.points_acked;
    completed += s.completed;
    if (error.empty()) error = s.error;
  }
  for (char& c : error) c = (c == '"' || c == '\\' || c < 32) ? ' ' : c;  // A JSON string.
  std::printf(
      "{\"leases\": %lld, \"points_acked\": %lld, \"completed\": %lld, \"error\": \"%s\"}\n",
      static_cast<long long>(leases), static_cast<long long>(acked),
      static_cast<long long>(completed), error.substr(0, 80).c_str());
  return 0;
}
