#include "common/checkpoint_retention.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

namespace fs = std::filesystem;

void Touch(const std::string& dir, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof(name), "step-%010lld.ckpt", static_cast<long long>(step));
  std::ofstream(fs::path(dir) / name) << "x";
}

std::set<int64_t> Steps(const std::string& dir) {
  std::set<int64_t> steps;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("step-", 0) == 0) steps.insert(std::stoll(n.substr(5, 10)));
  }
  return steps;
}

TEST(CheckpointRetention, WithoutACommittedStepKeepsTheNewest) {
  const augur::testing::TempDir tmp("retention-plain");
  const std::string& dir = tmp.path();
  for (int64_t s : {20, 40, 60, 80, 100}) Touch(dir, s);
  std::ofstream(fs::path(dir) / "notes.txt") << "not a checkpoint";
  EXPECT_EQ(PruneCheckpoints(dir, 3), 2);
  EXPECT_EQ(Steps(dir), (std::set<int64_t>{60, 80, 100}));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "notes.txt"));
}

// The scheduler is away: the trainer goes on checkpointing, and the store still points at
// step 40. That file must outlive any number of newer ones.
TEST(CheckpointRetention, NeverDeletesTheCommittedCheckpointNorNewerOnes) {
  const augur::testing::TempDir tmp("retention-committed");
  const std::string& dir = tmp.path();
  ASSERT_TRUE(WriteCommittedStep(dir, 40).ok());
  for (int64_t s = 20; s <= 200; s += 20) Touch(dir, s);
  EXPECT_EQ(PruneCheckpoints(dir, 3), 1);  // Only step 20, older than the committed one.
  EXPECT_EQ(Steps(dir).count(40), 1u);
  EXPECT_EQ(Steps(dir).size(), 9u);

  // The scheduler acknowledges step 180: what is older than it and not among the 3 newest goes.
  ASSERT_TRUE(WriteCommittedStep(dir, 180).ok());
  PruneCheckpoints(dir, 3);
  EXPECT_EQ(Steps(dir), (std::set<int64_t>{160, 180, 200}));
  ASSERT_TRUE(WriteCommittedStep(dir, 200).ok());
  Touch(dir, 220);
  Touch(dir, 240);
  PruneCheckpoints(dir, 1);
  EXPECT_EQ(Steps(dir), (std::set<int64_t>{200, 220, 240}));
}

TEST(CheckpointRetention, ACommittedStepOfZeroKeepsEverything) {
  // A fresh lease: nothing committed yet, so nothing the store may soon point at is deleted.
  const augur::testing::TempDir tmp("retention-zero");
  const std::string& dir = tmp.path();
  ASSERT_TRUE(WriteCommittedStep(dir, 0).ok());
  for (int64_t s : {20, 40, 60, 80, 100}) Touch(dir, s);
  EXPECT_EQ(PruneCheckpoints(dir, 3), 0);
  EXPECT_EQ(ReadCommittedStep(dir), 0);
}

TEST(CheckpointRetention, AnUnreadableCommittedFileCountsAsNone) {
  const augur::testing::TempDir tmp("retention-garbage");
  const std::string& dir = tmp.path();
  std::ofstream(fs::path(dir) / kCommittedCheckpointFile) << "step forty";
  EXPECT_EQ(ReadCommittedStep(dir), std::nullopt);
  EXPECT_EQ(ReadCommittedStep(augur::testing::TempDir("retention-missing").path()), std::nullopt);
}

}  // namespace
}  // namespace augur
