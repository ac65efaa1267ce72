// bench_dashboard: how fast the dashboard serves a large sweep, and how much it sends, against
// sending every point, in the same run (docs/benchmarks.md).
//
// Builds a sweep of --trials trials of --points loss points each in a real SQLite store (or the
// in-memory one), starts the Scheduler and the dashboard's HTTP server on loopback, and times
// over HTTP what the sweep page asks for its first render (the first page of the sweep's ranking,
// its loss curves and the normalized curves, downsampled to --view-points per curve), cold (nothing
// cached) and warm, against the same curves with every point. Sizes are of the JSON body, and on
// the wire with gzip (which the server applies when the client accepts it). Then, on the same
// server, Debian's Chromium loads the sweep page downsampled and with every point
// (web/bench/first_render.mjs): time to first render (both charts drawn with data), payloads.
//
//   bench_dashboard                          # 1,000 x 10,000 points in SQLite, a few minutes
//   bench_dashboard --trials=100 --points=2000 --memory   # quick
//   bench_dashboard --chromium=none          # the server's side only
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/flags.h"
#include "dashboard/http_server.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "scheduler/memory_store.h"
#include "scheduler/scheduler.h"
#include "scheduler/sqlite_store.h"

namespace augur {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A sweep of `trials` trials (learning rates x taus), every trial leased and given `points`
// points; every other trial then completes (the normalized view needs final losses), the rest
// stay running.
absl::Status Fill(Store& store, int trials, int points) {
  v1::Sweep sweep;
  sweep.set_sweep_id("s-bench");
  sweep.set_state(v1::Sweep::STATE_RUNNING);
  sweep.mutable_spec()->set_name("bench");
  std::vector<v1::Trial> planned;
  for (int i = 0; i < trials; ++i) {
    v1::Trial t;
    t.set_trial_id(absl::StrCat("s-bench/t", i));
    t.set_sweep_id("s-bench");
    t.set_state(v1::TRIAL_STATE_PENDING);
    t.mutable_hyperparameters()->set_peak_lr(1e-4 * std::pow(10.0, (i % 25) / 8.0));
    t.mutable_hyperparameters()->set_tau(0.05 * (1 + (i / 25) % 4));
    t.mutable_hyperparameters()->set_model_size("w64");
    t.mutable_config()->set_total_steps(points);
    t.mutable_controls()->set_total_steps(points);
    t.mutable_controls()->set_batch_tokens(4096);
    t.mutable_controls()->mutable_schedule()->set_warmup_fraction(0.05);
    planned.push_back(std::move(t));
  }
  if (absl::Status s = store.CreateSweep(sweep, planned); !s.ok()) return s;
  auto grants = store.AcquireLeases("bench-worker", absl::Hours(10), trials, trials);
  if (!grants.ok()) return grants.status();
  constexpr int kTrialsPerBatch = 20;
  for (size_t first = 0; first < grants->size(); first += kTrialsPerBatch) {
    WriteBatch batch;
    for (size_t g = first; g < std::min(grants->size(), first + kTrialsPerBatch); ++g) {
      const v1::Lease& lease = (*grants)[g].lease;
      const double lr = (*grants)[g].trial.hyperparameters().peak_lr();
      std::vector<v1::LossPoint> ps(static_cast<size_t>(points));
      for (int s = 1; s <= points; ++s) {
        v1::LossPoint& p = ps[static_cast<size_t>(s - 1)];
        p.set_step(s);
        p.set_tokens(int64_t{4096} * s);
        p.set_fraction(static_cast<double>(s) / points);
        const double off = std::log10(lr / 1e-3);
        p.set_train_loss(2.0 + 4.0 / (1.0 + 0.01 * s) + 0.2 * off * off +
                         0.02 * std::sin(0.7 * s + static_cast<double>(g)));
      }
      batch.points.emplace_back(lease.trial_id(), lease.fencing_token(), std::move(ps));
    }
    auto applied = store.ApplyBatch(batch);
    if (!applied.ok()) return applied.status();
  }
  for (size_t g = 0; g < grants->size(); g += 2) {
    auto done = store.TransitionTrial((*grants)[g].lease.trial_id(), v1::TRIAL_STATE_RUNNING,
                                      v1::TRIAL_STATE_COMPLETED, "");
    if (!done.ok()) return done.status();
  }
  return absl::OkStatus();
}

struct Fetch {
  double seconds = 0;
  size_t json_bytes = 0, gzip_bytes = 0;
};

// GETs `path` twice over HTTP: as JSON (timed) and gzip-compressed (its size on the wire).
absl::StatusOr<Fetch> Get(int port, const std::string& path) {
  Fetch f;
  httplib::Client plain("127.0.0.1", port);
  plain.set_read_timeout(600, 0);
  plain.set_decompress(false);
  const Clock::time_point start = Clock::now();
  auto r = plain.Get(path.c_str(), httplib::Headers{{"Accept-Encoding", "identity"}});
  f.seconds = SecondsSince(start);
  if (!r || r->status != 200) {
    return absl::InternalError(
        absl::StrCat(path, ": ", r ? std::to_string(r->status) : "no answer"));
  }
  f.json_bytes = r->body.size();
  if (!nlohmann::json::accept(r->body))
    return absl::InternalError(absl::StrCat(path, ": bad JSON"));
  auto z = plain.Get(path.c_str(), httplib::Headers{{"Accept-Encoding", "gzip"}});
  if (!z || z->status != 200) return absl::InternalError(absl::StrCat(path, ": gzip failed"));
  f.gzip_bytes = z->body.size();
  return f;
}

// The three requests of the sweep page's first render, one after the other.
absl::StatusOr<Fetch> PageLoad(int port, const std::string& points) {
  Fetch total;
  for (const std::string& path :
       {std::string("/api/v1/sweeps/s-bench"),
        absl::StrCat("/api/v1/sweeps/s-bench/curves?points=", points),
        absl::StrCat("/api/v1/sweeps/s-bench/curves?normalized=1&points=", points)}) {
    absl::StatusOr<Fetch> f = Get(port, path);
    if (!f.ok()) return f.status();
    total.seconds += f->seconds;
    total.json_bytes += f->json_bytes;
    total.gzip_bytes += f->gzip_bytes;
  }
  return total;
}

// Runs web/bench/first_render.mjs on the page served at `port`, passing its lines through;
// false if it failed.
bool BrowserRender(int port, const std::string& node, const std::string& chromium,
                   const std::string& web_dir, int64_t runs) {
  const std::string command = absl::StrCat("cd '", web_dir, "' && '", node,
                                           "' bench/first_render.mjs http://127.0.0.1:", port,
                                           "/ s-bench '", chromium, "' ", runs, " 2>&1");
  std::fflush(stdout);
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return false;
  char line[1024];
  while (std::fgets(line, sizeof(line), out) != nullptr) std::fputs(line, stdout);
  return pclose(out) == 0;
}

void Report(const char* what, const Fetch& f) {
  std::printf("  %-34s %8.3f s  %10.2f MB JSON  %9.2f MB gzip\n", what, f.seconds,
              static_cast<double>(f.json_bytes) / 1e6, static_cast<double>(f.gzip_bytes) / 1e6);
}

int Run(int argc, char** argv) {
  int64_t trials = 1000, points = 10000, view_points = 0, browser_runs = 1;
  bool memory = false, help = false;
  std::string chromium = AUGUR_CHROMIUM, node = AUGUR_NODE;
  std::string db = (std::filesystem::temp_directory_path() / "bench_dashboard.db").string();
  FlagSet flags;
  flags.AddInt("trials", "N", "trials in the sweep", &trials);
  flags.AddInt("points", "N", "loss points per trial", &points);
  flags.AddInt("view-points", "N",
               "points per curve to ask for; 0 = what the page asks (web/src/sweep_page.js: "
               "200,000 / the trials of its first page (100), in [50, 1500] for a 1000-pixel "
               "chart)",
               &view_points);
  flags.AddBool("memory", "use the in-memory store instead of SQLite", &memory);
  flags.AddString("chromium", "PATH", "the browser for time to first render; 'none' skips it",
                  &chromium);
  flags.AddString("node", "PATH", "Node.js, to drive the browser (playwright-core)", &node);
  flags.AddInt("browser-runs", "N", "page loads of each kind (the median is reported)",
               &browser_runs);
  flags.AddString("db", "PATH", "SQLite file (removed first)", &db);
  flags.AddBool("help", "show this help", &help);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto rest = flags.Parse(args);
  if (!rest.ok() || help || trials < 1 || points < 2) {
    std::fprintf(help ? stdout : stderr,
                 "usage: bench_dashboard [flags]\n\nexample: bench_dashboard --trials=100 "
                 "--points=2000 --memory\n\nflags:\n%s",
                 flags.Help().c_str());
    return help ? 0 : 2;
  }
  std::unique_ptr<Store> store;
  if (memory) {
    store = std::make_unique<MemoryStore>(RealClock());
  } else {
    std::filesystem::remove(db);
    std::filesystem::remove(db + "-wal");
    std::filesystem::remove(db + "-shm");
    auto opened = SqliteStore::Open(db, RealClock());
    if (!opened.ok()) {
      std::fprintf(stderr, "bench_dashboard: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    store = std::move(*opened);
  }
  const Clock::time_point fill_start = Clock::now();
  if (absl::Status s = Fill(*store, static_cast<int>(trials), static_cast<int>(points)); !s.ok()) {
    std::fprintf(stderr, "bench_dashboard: filling the store: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "sweep: %lld trials x %lld points (%.1f M points) in the %s store, written in %.1f s\n",
      static_cast<long long>(trials), static_cast<long long>(points),
      static_cast<double>(trials * points) / 1e6, memory ? "in-memory" : "SQLite",
      SecondsSince(fill_start));
  Scheduler scheduler(store.get(), &RealClock());
  scheduler.Start();
  auto web = dashboard::DashboardServer::Start(&scheduler, {});
  if (!web.ok()) {
    std::fprintf(stderr, "bench_dashboard: %s\n", web.status().ToString().c_str());
    return 1;
  }
  const int port = (*web)->port();
  if (view_points <= 0) {
    view_points = std::clamp<int64_t>(200000 / std::min<int64_t>(trials, 100), 50, 1500);
  }
  const std::string view = std::to_string(view_points);
  std::printf("first render of the sweep page (ranking + curves + normalized curves):\n");
  auto cold = PageLoad(port, view);
  auto warm = PageLoad(port, view);
  auto all = PageLoad(port, "all");
  if (!cold.ok() || !warm.ok() || !all.ok()) {
    std::fprintf(stderr, "bench_dashboard: %s %s %s\n", cold.status().ToString().c_str(),
                 warm.status().ToString().c_str(), all.status().ToString().c_str());
    return 1;
  }
  Report(absl::StrCat("downsampled (", view, "/curve), cold").c_str(), *cold);
  Report(absl::StrCat("downsampled (", view, "/curve), warm").c_str(), *warm);
  Report("every point", *all);
  std::printf(
      "every point / downsampled: %.0fx the JSON, %.0fx gzip, %.1fx the time (cold), "
      "%.1fx (warm)\n",
      static_cast<double>(all->json_bytes) / static_cast<double>(warm->json_bytes),
      static_cast<double>(all->gzip_bytes) / static_cast<double>(warm->gzip_bytes),
      all->seconds / cold->seconds, all->seconds / warm->seconds);
  // A zoom of the loss curves to a tenth of the x-range: the page asks for that range at the
  // same points per curve, which the server reads from the store (docs/dashboard.md).
  const int64_t tenth = int64_t{4096} * points / 10;
  auto zoom = Get(port, absl::StrCat("/api/v1/sweeps/s-bench/curves?points=", view,
                                     "&x_from=", tenth, "&x_to=", 2 * tenth));
  if (!zoom.ok()) {
    std::fprintf(stderr, "bench_dashboard: %s\n", zoom.status().ToString().c_str());
    return 1;
  }
  Report("a zoom to a tenth (loss curves)", *zoom);
  bool rendered = true;
  if (chromium != "none") {
    rendered =
        BrowserRender(port, node, chromium, AUGUR_WEB_DIR, std::max<int64_t>(1, browser_runs));
    if (!rendered) std::fprintf(stderr, "bench_dashboard: the browser run failed\n");
  }
  (*web)->Stop();
  scheduler.Stop();
  return rendered ? 0 : 1;
}

}  // namespace
}  // namespace augur

int main(int argc, char** argv) { return augur::Run(argc, argv); }
