#include "trainer/data.h"

#include <filesystem>
#include <fstream>
#include <numeric>
#include <vector>

#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

// A file in a folder of this process, removed at exit.
std::string TempPath(const std::string& name) {
  static const augur::testing::TempDir dir("data_test");
  return dir.File(name);
}

TEST(DataTest, TextBatchesAreDeterministicAndFromTheTrainSplit) {
  const std::string path = TempPath("augur_data_test.txt");
  std::string text;
  for (int i = 0; i < 2000; ++i) text += static_cast<char>('a' + i % 26);
  std::ofstream(path) << text;
  DataConfig c{.format = DataFormat::kTextBytes, .path = path, .validation_fraction = 0.1};
  auto ds = TokenDataset::Open(c, 16);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ((*ds)->train_tokens(), 1800);
  EXPECT_EQ((*ds)->val_tokens(), 200);
  std::vector<int64_t> a(17), b(17), other(17);
  (*ds)->TrainSequence(1, 5, 3, 16, a.data());
  (*ds)->TrainSequence(1, 5, 3, 16, b.data());
  EXPECT_EQ(a, b);
  // Consecutive bytes of the text.
  for (int i = 1; i < 17; ++i) EXPECT_EQ((a[i] - 'a'), (a[i - 1] - 'a' + 1) % 26);
  int differ = 0;
  for (int step = 0; step < 20; ++step) {
    (*ds)->TrainSequence(1, step, 0, 16, other.data());
    differ += other != a;
  }
  EXPECT_GE(differ, 15);  // Different steps draw different windows.
  // Validation sequences lie in the held-out tail and cover it end to end.
  std::vector<int64_t> v0(17), v1(17);
  (*ds)->ValSequence(0, 2, 16, v0.data());
  (*ds)->ValSequence(1, 2, 16, v1.data());
  EXPECT_EQ(v0[0], text[1800]);
  EXPECT_EQ(v1[16], text[1999]);
  std::filesystem::remove(path);
}

TEST(DataTest, Uint16ShardRoundTripAndBadHeader) {
  const std::string path = TempPath("augur_data_test.bin");
  std::vector<uint16_t> tokens(1000);
  std::iota(tokens.begin(), tokens.end(), 60000);
  ASSERT_TRUE(WriteUint16Shard(path, tokens.data(), tokens.size()).ok());
  DataConfig c{.format = DataFormat::kUint16Shard, .path = path, .validation_fraction = 0.2};
  auto ds = TokenDataset::Open(c, 8);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ((*ds)->format_vocab(), 65536);
  std::vector<int64_t> v(9);
  (*ds)->ValSequence(0, 1, 8, v.data());
  EXPECT_EQ(v[0], 60800);
  EXPECT_EQ(v[8], 60808);
  // Corrupt the magic.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.write("xxxx", 4);
  }
  EXPECT_EQ(TokenDataset::Open(c, 8).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
  EXPECT_EQ(TokenDataset::Open(c, 8).status().code(), absl::StatusCode::kNotFound);
}

TEST(DataTest, TooShortForValidationIsAnError) {
  const std::string path = TempPath("augur_short.txt");
  std::ofstream(path) << std::string(100, 'x');
  DataConfig c{.path = path, .validation_fraction = 0.1};
  EXPECT_EQ(TokenDataset::Open(c, 64).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
}

TEST(DataTest, DefaultCorpusIsEnglishText) {
  auto path = DefaultCorpusPath(std::filesystem::temp_directory_path().string());
  if (!path.ok()) GTEST_SKIP() << path.status();  // bible-kjv not installed.
  std::ifstream in(*path);
  std::string head(200, '\0');
  in.read(head.data(), head.size());
  EXPECT_NE(head.find("In the beginning God created"), std::string::npos) << head;
  EXPECT_GT(std::filesystem::file_size(*path), 4'000'000u);
}

}  // namespace
}  // namespace augur::trainer
