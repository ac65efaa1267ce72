// A full file system under the store, for real (issue 14): the scheduler's database on a small
// tmpfs that fills while a trial trains. Writes fail with SQLITE_FULL; the scheduler logs it,
// `GetSweep` says so, nothing is acknowledged, and once the file system has room again the
// workers' resent points are stored: the trial finishes with the curve of an uninterrupted run.
// Mounting needs root (CI runs as root); elsewhere the test is skipped with the reason.
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster_helpers.h"
#include "tests/harness.h"

namespace augur::testing {
namespace {

// A tmpfs of `bytes` at `dir` (mounted or resized); "" on success, else why not.
std::string MountTmpfs(const std::string& dir, uint64_t bytes, bool remount) {
  const std::string options = absl::StrCat("size=", bytes);
  const unsigned long flags = remount ? MS_REMOUNT : 0;
  if (mount("tmpfs", dir.c_str(), "tmpfs", flags, options.c_str()) != 0) {
    return absl::StrCat("mount -t tmpfs ", dir, ": ", std::strerror(errno));
  }
  return "";
}

// Bytes in use on the file system at `dir`.
uint64_t UsedBytes(const std::string& dir) {
  struct statvfs s {};
  if (statvfs(dir.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_blocks - s.f_bfree) * s.f_frsize;
}

// Data rows in a CSV file with a header (0 if there is none yet).
int64_t CsvRows(const std::string& path) {
  std::ifstream in(path);
  int64_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return std::max<int64_t>(0, lines - 1);
}

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "disk-full test skipped: mounting a tmpfs needs root";
    mnt_ = mnt_tmp_.path();
    if (const std::string why = MountTmpfs(mnt_, 64 << 20, false); !why.empty()) {
      GTEST_SKIP() << "disk-full test skipped: " << why;
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(mnt_.c_str(), MNT_DETACH);
  }

  const TempDir mnt_tmp_{"diskfull-mnt"};  // Removed after TearDown unmounts it.
  std::string mnt_;
  bool mounted_ = false;
};

TEST_F(DiskFull, AFullFileSystemIsReportedAndTheTrialLosesNothingOnceThereIsRoom) {
  const TempDir tmp("diskfull");
  const std::string& dir = tmp.path();
  std::string address;
  auto scheduler = StartScheduler(mnt_ + "/augur.db", &address, {"--heartbeat-ms", "250"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  auto stub = SweepStub(address);
  // Three times the tiny sweep's length: on a loaded machine its 486 steps were half done
  // (step 249, 2026-12-05 fresh-clone CI) before the first checkpoint showed, and the test
  // needs the disk to fill mid-trial.
  v1::SweepSpec spec = PlainSweep({0.006});
  spec.set_tokens_per_param(spec.tokens_per_param() * 3);
  const std::string sweep_id = Submit(*stub, spec).sweep().sweep_id();
  const std::string trial_id = sweep_id + "/t000";
  auto worker = StartWorker(address, "w", dir + "/work");
  ASSERT_TRUE(worker.ok()) << worker.status();
  const v1::Trial early = WaitForCheckpoint(*stub, sweep_id, trial_id);
  ASSERT_LT(early.last_point().step(), early.config().total_steps() / 2);

  // Leave a few pages: the WAL fills them within a few batches of points.
  ASSERT_EQ(MountTmpfs(mnt_, UsedBytes(mnt_) + (16 << 10), true), "");
  std::string warning;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (warning.empty() && absl::Now() < deadline) {
    warning = SweepOf(*stub, sweep_id).sweep().store_warning();
    if (warning.empty()) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_NE(warning.find("full"), std::string::npos) << "no warning while the disk was full";
  const int64_t stalled = TrialOf(*stub, sweep_id, trial_id).last_point().step();
  std::printf("disk full at step %lld of %lld: %s\n", static_cast<long long>(stalled),
              static_cast<long long>(early.config().total_steps()), warning.c_str());
  EXPECT_LT(stalled, early.config().total_steps());

  // The trainer goes on meanwhile (its points wait in the worker's buffer); that work must
  // not be thrown away when room comes back.
  const std::string curve = dir + "/work/" + sweep_id + "_t000/curve.csv";
  const absl::Time trained = absl::Now() + absl::Seconds(60);
  while (CsvRows(curve) < stalled + 40 && absl::Now() < trained) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_GE(CsvRows(curve), stalled + 40) << "the trainer stopped while the disk was full";
  ASSERT_EQ(MountTmpfs(mnt_, 64 << 20, true), "");  // Room again.
  auto done = WaitForSweep(*stub, sweep_id, absl::Minutes(5));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Trial finished = TrialOf(*stub, sweep_id, trial_id);
  EXPECT_EQ(finished.state(), v1::TRIAL_STATE_COMPLETED) << finished.ShortDebugString();
  EXPECT_EQ(finished.attempts(), 1) << "the trial was restarted: work was thrown away";
  EXPECT_EQ(SweepOf(*stub, sweep_id).sweep().store_warning(), "");
  ExpectUninterrupted(*stub, sweep_id, finished, dir);

  auto exit = (*scheduler)->Terminate(absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_NE(exit->stderr_tail.find("store_write_failed"), std::string::npos) << exit->stderr_tail;
}

}  // namespace
}  // namespace augur::testing
