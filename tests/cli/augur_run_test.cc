// `augur run` end to end on the tiny spec (tests/data/tiny_sweep.yaml): real augur-train
// processes on this machine's CPUs. Interrupted once (SIGTERM, as Ctrl-C), resumed to the end,
// then run again to print the finished sweep's summary; the report, plots and the curves are
// checked, and the store is read back by a standalone augur-scheduler for `export`/`curves`.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_runner.h"
#include "tests/harness.h"

namespace augur::cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(AugurRunTest, RunsInterruptsResumesAndReports) {
  const augur::testing::TempDir tmp("run");
  const fs::path dir = tmp.path();
  const fs::path spec = dir / "tiny.yaml";
  fs::copy_file(SourceDir() / "tests/data/tiny_sweep.yaml", spec);

  // First run, interrupted once a trial trains: exit 1 naming how to resume.
  {
    auto run = augur::testing::Proc::Start(
        AUGUR_BINARY, {"run", spec.string(), "--train-binary", AUGUR_TRAIN_BINARY});
    ASSERT_TRUE(run.ok()) << run.status();
    ASSERT_TRUE((*run)->WaitForLine(") running", absl::Seconds(60)).ok());
    absl::SleepFor(absl::Seconds(1));
    auto exit = (*run)->Terminate(absl::Seconds(60));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_TRUE(exit->exited) << exit->Describe();
    EXPECT_EQ(exit->code, 1);
    EXPECT_THAT(exit->stderr_tail, HasSubstr("again to resume"));
  }
  EXPECT_TRUE(fs::exists(dir / "tiny.augur.db"));

  // Second run resumes the same sweep and finishes it.
  Result r = Augur({"run", spec.string(), "--train-binary", AUGUR_TRAIN_BINARY});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, StartsWith("resuming sweep s-"));
  const std::string id = r.out.substr(15, r.out.find(' ', 15) - 15);
  EXPECT_THAT(r.out, HasSubstr("sweep " + id + " (tiny) done: "));
  EXPECT_THAT(r.out, HasSubstr("\nwinner: t00"));
  EXPECT_THAT(r.out, HasSubstr("\nstopped early: "));
  EXPECT_THAT(r.out, HasSubstr("\ncompute: "));
  EXPECT_THAT(r.out, HasSubstr("tokens spent against "));
  EXPECT_THAT(r.out, HasSubstr("\nreport: " + (dir / "tiny.augur/report.md").string()));
  const std::string winner = r.out.substr(r.out.find("\nwinner: "), 30);

  const std::string report = ReadAll(dir / "tiny.augur/report.md");
  EXPECT_THAT(report, StartsWith("# Sweep tiny (" + id + ")"));
  EXPECT_THAT(report, HasSubstr("## Ranking"));
  EXPECT_THAT(ReadAll(dir / "tiny.augur/loss.svg"), StartsWith("<svg "));
  EXPECT_THAT(ReadAll(dir / "tiny.augur/normalized.png"), StartsWith("\x89PNG\r\n\x1a\n"));

  // Third run: the sweep is finished; same summary, nothing trains.
  r = Augur({"run", spec.string(), "--train-binary", AUGUR_TRAIN_BINARY});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("has finished"));
  EXPECT_THAT(r.out, HasSubstr(winner));

  // A comment or spacing change is the same sweep (it is found, finished); a changed search
  // space is refused, naming what changed, until --new.
  std::ofstream(spec, std::ios::app) << "\n# tried on Friday   \n\n";
  r = Augur({"run", spec.string(), "--train-binary", AUGUR_TRAIN_BINARY});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sweep " + id + " of " + spec.string()));
  EXPECT_THAT(r.out, HasSubstr("has finished"));
  std::string text = ReadAll(spec);
  text.replace(text.find("0.06]"), 5, "0.1]");
  std::ofstream(spec, std::ios::trunc) << text;
  r = Augur({"run", spec.string(), "--train-binary", AUGUR_TRAIN_BINARY});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("the spec changed since sweep " + id +
                               " (tiny) was started: "
                               "search.dimensions; run with --new"));

  // The store, served by a standalone scheduler: export and curves read the trained points.
  std::string address;
  auto scheduler = augur::testing::StartScheduler((dir / "tiny.augur.db").string(), &address);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  r = Augur({"export", id, "--format", "csv"}, address);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 100);
  EXPECT_THAT(r.out, HasSubstr(id + "/t001,"));
  // Every point carries the wall time its worker saw it at (the CSV's last column).
  std::istringstream rows(r.out);
  std::string row;
  std::getline(rows, row);
  EXPECT_TRUE(row.ends_with(",wall_time_unix_ms")) << row;
  int timed = 0;
  while (std::getline(rows, row)) {
    const int64_t wall = std::stoll(row.substr(row.rfind(',') + 1));
    EXPECT_GT(wall, 1'600'000'000'000) << row;
    timed += wall > 0;
  }
  EXPECT_GT(timed, 100);
  const fs::path svg = dir / "curves.svg";
  r = Augur({"curves", id, "--svg", svg.string()}, address);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Training loss"));
  EXPECT_THAT(ReadAll(svg), StartsWith("<svg "));
}

}  // namespace
}  // namespace augur::cli_test
