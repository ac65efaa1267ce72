#include "common/log.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace augur {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogComponent("augur-test");
    SetMinLogLevel(LogLevel::kInfo);
    SetLogSinkForTest([this](const std::string& line) { lines_.push_back(line); });
  }
  void TearDown() override { SetLogSinkForTest(nullptr); }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, ARecordIsOneLineWithTimeLevelComponentEventFieldsAndMessage) {
  Log(LogLevel::kWarning, "lease_fenced", {{"trial", "s-1/t000"}, {"why", "no renewal for 20s"}},
      "stopping\nthe trial");
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line[4], '-');  // 2026-12-04T...
  EXPECT_EQ(line.find('Z'), 23u);
  EXPECT_NE(line.find(" WARNING augur-test lease_fenced trial=s-1/t000 why=\"no renewal for 20s\""
                      ": stopping the trial"),
            std::string::npos)
      << line;
}

TEST_F(LogTest, RecordsBelowTheMinimumLevelAreDropped) {
  Log(LogLevel::kDebug, "noise", {});
  EXPECT_TRUE(lines_.empty());
  EXPECT_TRUE(SetMinLogLevel("error"));
  Log(LogLevel::kWarning, "dropped", {});
  Log(LogLevel::kError, "kept", {});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find(" ERROR augur-test kept"), std::string::npos) << lines_[0];
  EXPECT_FALSE(SetMinLogLevel("loud"));
}

}  // namespace
}  // namespace augur
