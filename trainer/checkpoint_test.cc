#include "trainer/checkpoint.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

TEST(CheckpointTest, RoundTripsAndDetectsCorruption) {
  const augur::testing::TempDir dir("ckpt_test");
  const std::string path = dir.File("step.ckpt");
  const std::string fp = "v1 w=32";
  std::vector<float> p = {1, 2, 3}, m = {0.5f, -1, 0}, v = {1e-8f, 2, 3};
  CheckpointView view{&fp, 12, 12 * 512, 7, 9, std::nan(""), p, m, v};
  ASSERT_TRUE(WriteCheckpoint(path, view).ok());
  auto s = ReadCheckpoint(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->fingerprint, fp);
  EXPECT_EQ(s->step, 12);
  EXPECT_EQ(s->tokens, 12 * 512);
  EXPECT_EQ(s->seed, 7u);
  EXPECT_EQ(s->data_seed, 9u);
  EXPECT_TRUE(std::isnan(s->last_val_loss));
  EXPECT_EQ(s->params, p);
  EXPECT_EQ(s->adam_m, m);
  EXPECT_EQ(s->adam_v, v);
  // No temp file left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    files += e.path().string().starts_with(path + ".tmp");
  }
  EXPECT_EQ(files, 0);
  // Flip one byte: the checksum catches it.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  EXPECT_EQ(ReadCheckpoint(path).status().code(), absl::StatusCode::kDataLoss);
  std::filesystem::resize_file(path, 20);
  EXPECT_EQ(ReadCheckpoint(path).status().code(), absl::StatusCode::kDataLoss);
  std::filesystem::remove(path);
  EXPECT_EQ(ReadCheckpoint(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace augur::trainer
