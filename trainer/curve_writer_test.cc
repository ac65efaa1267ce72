#include "trainer/curve_writer.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(CurveWriterTest, WritesPredictorCsvAndAppendsOnResume) {
  const augur::testing::TempDir dir("curve_test");
  const std::string path = dir.File("curve.csv");
  CurveControls c{.run_id = "r1",
                  .tokens_per_param = 20,
                  .tau = 0.175,
                  .peak_lr = 3e-3,
                  .weight_decay = 0.1,
                  .batch_tokens = 512,
                  .params = 1000,
                  .seed = 4,
                  .total_steps = 10};
  {
    auto w = CurveWriter::Open(path, -1, false, c);
    ASSERT_TRUE(w.ok()) << w.status();
    (*w)->Point({.step = 1, .tokens = 512, .fraction = 0.1, .loss = 5.5, .lr = 1e-3});
    (*w)->Point({.step = 2,
                 .tokens = 1024,
                 .fraction = 0.2,
                 .loss = std::nan(""),
                 .lr = 2e-3,
                 .val_loss = 5.25});
  }
  {
    auto w = CurveWriter::Open(path, -1, true, c);  // Resume: no second header.
    ASSERT_TRUE(w.ok());
    (*w)->Point({.step = 3, .tokens = 1536, .fraction = 0.3, .loss = 4.0, .lr = 3e-3});
  }
  const auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], CurveWriter::CsvHeader());
  EXPECT_EQ(lines[1],
            "r1,1,512,0.1,5.5,0.001,,20,0.175,linear_decay,0.1,0.003,0.1,512,1000,4,10,0.2,0");
  EXPECT_EQ(lines[2],
            "r1,2,1024,0.2,nan,0.002,5.25,20,0.175,linear_decay,0.1,0.003,0.1,512,1000,4,10,0.2,0");
  EXPECT_TRUE(lines[3].starts_with("r1,3,1536,"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace augur::trainer
