// bench_scheduler: durable loss points per second and stop-order latency of the scheduler
// under simulated workers streaming over loopback, at several numbers of concurrent trials,
// against Optuna's SQLite storage and plain SQLite inserts measured in the same run.
// A benchmark binary, not a ctest test. Results: docs/benchmarks.md, section "Scheduler".
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/scheduler/baselines.h"
#include "bench/scheduler/load_phase.h"

namespace augur::bench {
namespace {

constexpr char kUsage[] =
    "usage: bench_scheduler [flags]\n"
    "  --quick               about 40 s in all (default: about 2.7 min)\n"
    "  --trials=10,100,1000  concurrent trials per phase\n"
    "  --seconds=S           longest streaming time per phase (default 40, quick 6)\n"
    "  --rounds=R            the sweep has N x R trials; N run at a time (default 3)\n"
    "  --workers=K           simulated worker sessions (default 10)\n"
    "  --batch=B             points per batch (default 100)\n"
    "  --window=W            unacknowledged batches per trial (default 4)\n"
    "  --rate=P              offered load: the workers send P points/s between them (default:\n"
    "                        as fast as the scheduler acknowledges, i.e. at saturation)\n"
    "  --points-per-trial=P  points over a trial's whole run (default: sized so a phase\n"
    "                        reaches the last milestone at 100k points/s)\n"
    "  --scheduler=HOST:PORT use a running scheduler (no server-side figures)\n"
    "  --baseline-seconds=S  time per baseline measurement (default 5, quick 1)\n"
    "  --no-baselines        skip the SQLite and Optuna baselines\n"
    "  --no-stopping         policy NONE: the write path alone, no milestone decisions\n"
    "  --python=PATH         Python with Optuna (default /usr/bin/python3)\n"
    "  --dir=DIR             where the SQLite files go (default: a new temp dir)\n";

struct Flags {
  bool quick = false;
  std::vector<int> trials = {10, 100, 1000};
  double seconds = -1;
  int rounds = 3, workers = 10, batch = 100, window = 4;
  double rate = 0;  // Offered points/s over all workers; 0: saturation.
  int64_t points_per_trial = 0;
  std::string scheduler;
  double baseline_seconds = -1;
  bool baselines = true;
  bool stopping = true;
  std::string python = "/usr/bin/python3";
  std::string dir;
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq),
                      value = eq == std::string::npos ? "" : a.substr(eq + 1);
    bool ok = true;
    if (name == "--quick") {
      f.quick = true;
    } else if (name == "--no-stopping") {
      f.stopping = false;
    } else if (name == "--no-baselines") {
      f.baselines = false;
    } else if (name == "--trials") {
      f.trials.clear();
      for (absl::string_view s : absl::StrSplit(value, ',')) {
        int n = 0;
        ok = ok && absl::SimpleAtoi(s, &n) && n > 0;
        f.trials.push_back(n);
      }
    } else if (name == "--seconds") {
      ok = absl::SimpleAtod(value, &f.seconds) && f.seconds > 0;
    } else if (name == "--rounds") {
      ok = absl::SimpleAtoi(value, &f.rounds) && f.rounds > 0;
    } else if (name == "--workers") {
      ok = absl::SimpleAtoi(value, &f.workers) && f.workers > 0;
    } else if (name == "--batch") {
      ok = absl::SimpleAtoi(value, &f.batch) && f.batch > 0;
    } else if (name == "--window") {
      ok = absl::SimpleAtoi(value, &f.window) && f.window > 0;
    } else if (name == "--rate") {
      ok = absl::SimpleAtod(value, &f.rate) && f.rate > 0;
    } else if (name == "--points-per-trial") {
      ok = absl::SimpleAtoi(value, &f.points_per_trial) && f.points_per_trial > 0;
    } else if (name == "--scheduler") {
      f.scheduler = value;
    } else if (name == "--baseline-seconds") {
      ok = absl::SimpleAtod(value, &f.baseline_seconds) && f.baseline_seconds > 0;
    } else if (name == "--python") {
      f.python = value;
    } else if (name == "--dir") {
      f.dir = value;
    } else if (name == "--help" || name == "-h") {
      std::printf("%s", kUsage);
      std::exit(0);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bench_scheduler: bad flag %s\n%s", a.c_str(), kUsage);
      return false;
    }
  }
  if (f.seconds < 0) f.seconds = f.quick ? 6 : 40;
  if (f.baseline_seconds < 0) f.baseline_seconds = f.quick ? 1 : 5;
  return true;
}

std::string Ms(double v) { return std::isnan(v) ? "-" : absl::StrFormat("%.1f", v); }

void PrintPhase(const PhaseResult& r, int n) {
  std::printf("\n== %d concurrent trials (sweep of %d trials, %d workers, %lld steps/trial) ==\n",
              n, r.trials, r.workers, static_cast<long long>(r.total_steps));
  std::printf("  wall time                 %8.2f s%s\n", r.seconds,
              r.finished ? " (every trial ended)" : " (time limit)");
  if (r.lease_seconds >= 0) {
    std::printf("  all %d slots leased after %.2f s\n", n, r.lease_seconds);
  } else {
    std::printf("  slots never all held at once: at most %d of %d\n", r.max_active, n);
  }
  std::printf("  points acked (client)     %10lld   %10.0f points/s\n",
              static_cast<long long>(r.points_acked), r.points_acked / r.seconds);
  std::printf("  steady state (10%%-90%%)               %10.0f points/s\n", r.steady_rate);
  if (r.points_committed >= 0) {
    std::printf("  points committed (server) %10lld   %10.0f points/s\n",
                static_cast<long long>(r.points_committed), r.points_committed / r.seconds);
  }
  std::printf("  batches acked             %10lld   (%.0f points/batch)\n",
              static_cast<long long>(r.batches_acked),
              r.batches_acked ? static_cast<double>(r.points_acked) / r.batches_acked : 0.0);
  std::printf("  ack latency (batch sent -> PointsAck): p50 %s  p99 %s ms\n",
              Ms(Quantile(r.ack_ms, 0.5)).c_str(), Ms(Quantile(r.ack_ms, 0.99)).c_str());
  std::printf("  trials stopped / completed %6lld / %lld   unexpected rejections %lld\n",
              static_cast<long long>(r.stop_orders), static_cast<long long>(r.completed),
              static_cast<long long>(r.rejections));
  if (!r.first_problem.empty()) std::printf("  first problem: %s\n", r.first_problem.c_str());
  std::printf(
      "  stop latency, client (milestone batch sent -> order received): n=%zu"
      "  p50 %s  p99 %s  max %s ms\n",
      r.client_stop_ms.size(), Ms(Quantile(r.client_stop_ms, 0.5)).c_str(),
      Ms(Quantile(r.client_stop_ms, 0.99)).c_str(), Ms(Quantile(r.client_stop_ms, 1.0)).c_str());
  if (r.points_committed >= 0) {
    std::printf(
        "  stop latency, server (batch arrived -> order queued):          n=%zu"
        "  p50 %s  p99 %s  max %s ms\n",
        r.server_stop_ms.size(), Ms(Quantile(r.server_stop_ms, 0.5)).c_str(),
        Ms(Quantile(r.server_stop_ms, 0.99)).c_str(), Ms(Quantile(r.server_stop_ms, 1.0)).c_str());
    std::printf(
        "  decision rounds (group copy, policy, transaction):           n=%zu"
        "  p50 %s  p99 %s  max %s ms\n",
        r.decision_round_ms.size(), Ms(Quantile(r.decision_round_ms, 0.5)).c_str(),
        Ms(Quantile(r.decision_round_ms, 0.99)).c_str(),
        Ms(Quantile(r.decision_round_ms, 1.0)).c_str());
    auto row = [](const char* what, const std::vector<double>& v) {
      std::printf("    %-57s n=%zu  p50 %s  p99 %s  max %s ms\n", what, v.size(),
                  Ms(Quantile(v, 0.5)).c_str(), Ms(Quantile(v, 0.99)).c_str(),
                  Ms(Quantile(v, 1.0)).c_str());
    };
    row("waiting (first milestone arrival -> round start)", r.round_wait_ms);
    row("per stop: trial reached the milestone -> its round started", r.stop_before_round_ms);
    row("policy (gather from memory, summarize, decide)", r.round_policy_ms);
    row("transaction (waits for the writer's commit in flight)", r.round_commit_ms);
  }
  std::printf("  process CPU %.1f s (%.0f%% of one core), RSS %.0f MB\n", r.cpu_seconds,
              100.0 * r.cpu_seconds / r.seconds, r.rss_mb);
  std::fflush(stdout);
}

int RunAll(const Flags& f);

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, f)) return 2;
  bool temp_dir = false;  // Created here, so removed at the end (the files reach 0.5 GB).
  if (f.dir.empty()) {
    // Under $TMPDIR when it is set, as everything else here.
    std::string tmpl = (std::filesystem::temp_directory_path() / "bench_scheduler.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    f.dir = tmpl;
    temp_dir = true;
  }
  std::printf("bench_scheduler: %ld CPUs online, files in %s, %s scheduler\n",
              ::sysconf(_SC_NPROCESSORS_ONLN), f.dir.c_str(),
              f.scheduler.empty() ? "in-process" : f.scheduler.c_str());
  std::printf(
      "policy: %s; %d points per batch, window %d batches per trial; offered load %s; targets "
      "100,000 points/s and p99 stop latency < 50 ms\n",
      f.stopping ? "median rule at fractions 0.1/0.3/0.5" : "none (no decisions)", f.batch,
      f.window,
      f.rate > 0 ? absl::StrFormat("%.0f points/s", f.rate).c_str() : "saturation (unpaced)");
  const int rc = RunAll(f);
  if (temp_dir) {
    std::error_code ignored;
    std::filesystem::remove_all(f.dir, ignored);
  }
  return rc;
}

int RunAll(const Flags& f) {
  int rc = 0;
  std::vector<std::pair<int, PhaseResult>> results;
  for (int n : f.trials) {
    PhaseOptions o;
    o.concurrent_trials = n;
    o.rounds = f.rounds;
    o.workers = f.workers;
    o.batch_points = f.batch;
    o.window_batches = f.window;
    o.max_duration = absl::Seconds(f.seconds);
    o.external_address = f.scheduler;
    o.dir = f.dir;
    o.points_per_trial = f.points_per_trial;
    o.stopping = f.stopping;
    o.points_per_second = f.rate;
    if (o.points_per_trial == 0) {
      // Enough for a phase to run its whole length at the target rate.
      const double want = 100000.0 * f.seconds / (static_cast<double>(n) * f.rounds);
      o.points_per_trial = static_cast<int64_t>(std::clamp(want, 1000.0, 1e6));
    }
    auto r = RunPhase(o);
    if (!r.ok()) {
      std::fprintf(stderr, "phase with %d trials failed: %s\n", n, r.status().ToString().c_str());
      rc = 1;
      continue;
    }
    PrintPhase(*r, n);
    results.push_back({n, *r});
  }

  if (!f.baselines) return rc;
  const absl::Duration d = absl::Seconds(f.baseline_seconds);
  std::printf("\n== baselines (same machine, same disk, %.1f s each) ==\n", f.baseline_seconds);
  double single = 0, batched = 0, optuna = 0;
  auto raw1 = RawSqliteInserts(f.dir + "/raw1.db", 1, d);
  if (raw1.ok()) {
    single = raw1->per_second();
    std::printf("  raw SQLite, 1 row per transaction (WAL, synchronous=FULL)  %10.0f rows/s\n",
                single);
  } else {
    std::printf("  raw SQLite (1 row/txn) failed: %s\n", raw1.status().ToString().c_str());
  }
  auto raw500 = RawSqliteInserts(f.dir + "/raw500.db", 500, d);
  if (raw500.ok()) {
    batched = raw500->per_second();
    std::printf("  raw SQLite, 500 rows per transaction                       %10.0f rows/s\n",
                batched);
  }
  std::string script = AUGUR_BENCH_SCHEDULER_DIR "/optuna_report.py";
  auto opt = OptunaReports(f.python, script, f.dir, d);
  if (opt.ok()) {
    optuna = opt->report.per_second();
    std::printf("  Optuna %s RDB storage (sqlite:///), trial.report           %10.0f calls/s\n",
                opt->version.c_str(), optuna);
    std::printf("  Optuna, trial.report + trial.should_prune (MedianPruner)   %10.0f calls/s\n",
                opt->report_and_prune.per_second());
  } else {
    std::printf("  Optuna baseline skipped: %s\n", opt.status().ToString().c_str());
  }
  std::printf("  Ray Tune (cited, not measured): about 500 results/s documented as comfortable\n");

  std::printf("\n== summary ==\n");
  std::printf("%8s %12s %12s %10s %10s %10s %12s %12s\n", "trials", "points/s", "steady/s",
              "p50 ms", "p99 ms", "x Optuna", "x 1-row SQL", "x 500-row SQL");
  for (const auto& [n, r] : results) {
    const double rate = r.points_acked / r.seconds;
    auto ratio = [&](double base) {
      return base > 0 ? absl::StrFormat("%.0f", r.steady_rate / base) : std::string("-");
    };
    std::printf("%8d %12.0f %12.0f %10s %10s %10s %12s %12s\n", n, rate, r.steady_rate,
                Ms(Quantile(r.client_stop_ms, 0.5)).c_str(),
                Ms(Quantile(r.client_stop_ms, 0.99)).c_str(), ratio(optuna).c_str(),
                ratio(single).c_str(),
                batched > 0 ? absl::StrFormat("%.2f", r.steady_rate / batched).c_str() : "-");
  }
  std::printf("(ratios use the steady-state rate)\n");
  return rc;
}

}  // namespace
}  // namespace augur::bench

int main(int argc, char** argv) { return augur::bench::Main(argc, argv); }
