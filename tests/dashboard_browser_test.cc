// The dashboard in a real browser: a real augur-scheduler (real port, SQLite store) serves a
// sweep whose trials a simulated worker runs; Debian's Chromium, driven by playwright-core
// (web/test/dashboard_check.mjs), checks the ranking, that the loss curves and the loss-vs-LR
// plot are drawn with data, that zooming the loss curves fetches finer points for the range,
// and that a live update arrives without a reload, and saves
// screenshots under the build folder (dashboard_screenshots/).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tests/harness.h"
#include "tests/sim_worker.h"

namespace augur::testing {
namespace {

namespace fs = std::filesystem;

// Points from..to of a trial whose loss level depends on its learning rate (best near 0.006),
// so that the loss-vs-LR plot has a shape.
bool SendCurve(SimWorker& w, const v1::Lease& lease, int64_t from, int64_t to) {
  const int64_t total = lease.config().total_steps();
  const double lr = lease.config().optimizer().peak_lr();
  const double off = std::log10(lr / 0.006);
  v1::WorkerMessage m;
  auto* b = m.mutable_points();
  b->set_trial_id(lease.trial_id());
  b->set_fencing_token(lease.fencing_token());
  b->set_sequence(to);
  for (int64_t s = from; s <= to; ++s) {
    auto* p = b->add_points();
    p->set_step(s);
    p->set_tokens(s * 256);
    p->set_fraction(static_cast<double>(s) / static_cast<double>(total));
    p->set_train_loss(2.0 + 3.5 / (1.0 + 0.02 * static_cast<double>(s)) + 0.3 * off * off);
  }
  return w.Write(m);
}

// Waits (up to the deadline) until the scheduler acknowledged `step` of the trial as durable.
void AwaitDurable(SimWorker& w, const std::string& trial, int64_t step) {
  const auto acked = w.Await(
      [&](const v1::SchedulerMessage& m) {
        return m.has_points_ack() && m.points_ack().trial_id() == trial &&
               m.points_ack().durable_step() >= step;
      },
      absl::Seconds(30));
  ASSERT_TRUE(acked.has_value()) << trial << " step " << step << " not durable";
}

// Polls GetSweep until the trial is in `state`, up to a deadline.
bool WaitForTrialState(v1::SweepService::Stub& stub, const std::string& sweep_id,
                       const std::string& trial_id, v1::TrialState state) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (TrialOf(stub, sweep_id, trial_id).state() != state) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

TEST(DashboardBrowserTest, RankingCurvesLossAgainstLrAndLiveUpdateInChromium) {
  ASSERT_TRUE(fs::exists(AUGUR_CHROMIUM))
      << "Debian's Chromium is needed for this test and was not found ('" << AUGUR_CHROMIUM
      << "'): ./setup.sh installs it (apt-get install chromium)";
  ASSERT_TRUE(fs::exists(fs::path(AUGUR_WEB_DIR) / "node_modules/playwright-core"))
      << "web/node_modules is missing: ./setup.sh runs npm ci in web/";
  std::string address;
  const TempDir tmp("dashboard_browser");
  auto scheduler = StartScheduler(tmp.File("augur.db"), &address);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto line = (*scheduler)->WaitForLine("dashboard at ", absl::Seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  const std::string url = line->substr(line->find("dashboard at ") + 13);

  auto stub = SweepStub(address);
  // Ten times the tokens (~4,900 steps): more points than the page asks for a curve, so that
  // a zoom has finer points to fetch.
  v1::SweepSpec spec = NoPolicySpec(4);
  spec.set_tokens_per_param(spec.tokens_per_param() * 10);
  const std::string sweep_id = SubmitOk(*stub, spec);
  ASSERT_FALSE(sweep_id.empty());
  SimWorker worker(address, "sim-1", 4);
  ASSERT_TRUE(worker.Connect().ok());
  std::map<std::string, v1::Lease> leases;
  for (int i = 0; i < 4; ++i) {
    const std::optional<v1::Lease> l = worker.NextLease();
    ASSERT_TRUE(l.has_value());
    leases[l->trial_id()] = *l;
  }
  std::vector<v1::Lease> by_id;
  for (const auto& [id, l] : leases) by_id.push_back(l);
  const int64_t total = by_id[0].config().total_steps();
  ASSERT_GT(total, 4000);
  // Two trials complete, one runs at half way, one is stopped by hand at a third.
  for (int i : {0, 1}) {
    ASSERT_TRUE(SendCurve(worker, by_id[i], 1, total));
    AwaitDurable(worker, by_id[i].trial_id(), total);
    ASSERT_TRUE(
        worker.SendEnded(by_id[i].trial_id(), by_id[i].fencing_token(), v1::TRIAL_STATE_COMPLETED));
  }
  ASSERT_TRUE(SendCurve(worker, by_id[2], 1, total / 2));
  ASSERT_TRUE(SendCurve(worker, by_id[3], 1, total / 3));
  AwaitDurable(worker, by_id[2].trial_id(), total / 2);
  AwaitDurable(worker, by_id[3].trial_id(), total / 3);
  {
    grpc::ClientContext ctx;
    v1::TrialActionRequest req;
    req.set_trial_id(by_id[3].trial_id());
    req.set_reason("diverging lr, stopped by hand");
    v1::TrialActionResponse resp;
    ASSERT_TRUE(stub->StopTrial(&ctx, req, &resp).ok());
  }
  ASSERT_TRUE(WaitForTrialState(*stub, sweep_id, by_id[0].trial_id(), v1::TRIAL_STATE_COMPLETED));
  ASSERT_TRUE(WaitForTrialState(*stub, sweep_id, by_id[1].trial_id(), v1::TRIAL_STATE_COMPLETED));

  // A newer sweep, so that the sweeps list has a second page at one sweep a page.
  ASSERT_FALSE(SubmitOk(*stub, NoPolicySpec(2)).empty());

  const std::string running = by_id[2].trial_id().substr(by_id[2].trial_id().rfind('/') + 1);
  const fs::path shots = fs::path(AUGUR_BUILD_DIR) / "dashboard_screenshots";
  fs::remove_all(shots);
  // Chromium stops when its socket $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket passes
  // 107 bytes: under a deep build tree (ctest's TMPDIR) its temporary files go to a folder of
  // this test in /tmp instead.
  std::string browser_tmpdir = TestTmpRoot().string();
  std::optional<TempDir> short_tmp;
  if (browser_tmpdir.size() + std::strlen("/org.chromium.Chromium.XXXXXX/SingletonSocket") > 107) {
    short_tmp.emplace("chromium", "/tmp");
    browser_tmpdir = short_tmp->path();
  }
  auto browser =
      Proc::Start("/usr/bin/env", {"TMPDIR=" + browser_tmpdir, AUGUR_NODE,
                                   std::string(AUGUR_WEB_DIR) + "/test/dashboard_check.mjs", url,
                                   sweep_id, running, shots.string(), AUGUR_CHROMIUM});
  ASSERT_TRUE(browser.ok()) << browser.status();
  auto lines = [&] {
    std::string all;
    for (const std::string& l : (*browser)->lines()) all += "  " + l + "\n";
    return all;
  };
  auto ready = (*browser)->WaitForLine("READY", absl::Seconds(120));
  if (ready.ok()) {
    ASSERT_TRUE(SendCurve(worker, by_id[2], total / 2 + 1, total * 3 / 4));
    AwaitDurable(worker, by_id[2].trial_id(), total * 3 / 4);
  }
  auto result = (*browser)->WaitForLine("RESULT ", absl::Seconds(120));
  ASSERT_TRUE(result.ok()) << result.status() << "; the browser said:\n" << lines();
  EXPECT_EQ(*result, "RESULT ok") << "the browser said:\n" << lines();
  for (const char* name : {"sweeps.png", "sweep.png", "zoomed.png", "trial.png"}) {
    EXPECT_GT(fs::exists(shots / name) ? fs::file_size(shots / name) : 0, 10000u) << name;
  }
  std::cout << "browser:\n" << lines() << "screenshots in " << shots.string() << "\n";
}

}  // namespace
}  // namespace augur::testing
