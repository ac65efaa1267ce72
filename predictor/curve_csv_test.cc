#include "predictor/curve_csv.h"

#include <gtest/gtest.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

TEST(CurveCsvTest, ParsesControlsAliasesAndDerivedFields) {
  const std::string csv =
      "run_id,step,loss,total_steps,schedule,warmup_steps,peak_lr,weight_decay,batch_tokens,"
      "params,source\n"
      "a,200,3.5,1000,d2z,100,0.001,0.1,1000,100000,x.csv\n"
      "a,100,4.0,1000,d2z,100,0.001,0.1,1000,100000,x.csv\n"
      "a,1000,3.0,1000,d2z,100,0.001,0.1,1000,100000,x.csv\n"
      "b,500,3.3,1000,cosine,100,0.001,0.1,1000,100000,x.csv\n";
  auto curves = ParseCurvesCsv(csv, "t.csv");
  ASSERT_TRUE(curves.ok()) << curves.status();
  ASSERT_EQ(curves->size(), 2u);
  const Curve& a = (*curves)[0];
  EXPECT_EQ(a.id, "a");
  ASSERT_EQ(a.points.size(), 3u);
  EXPECT_EQ(a.points[0].step, 100);  // Sorted.
  EXPECT_DOUBLE_EQ(a.points[1].fraction, 0.2);
  EXPECT_DOUBLE_EQ(a.points[1].tokens, 200000);
  EXPECT_DOUBLE_EQ(a.controls.schedule.warmup_fraction, 0.1);
  EXPECT_DOUBLE_EQ(a.controls.tau, 10.0);               // 1 / (1e-3 * 0.1 * 1000).
  EXPECT_DOUBLE_EQ(a.controls.tokens_per_param, 10.0);  // 1e6 tokens / 1e5 params.
  EXPECT_TRUE(a.complete);
  EXPECT_FALSE((*curves)[1].complete);
  EXPECT_EQ((*curves)[1].controls.schedule.shape, ScheduleShape::kCosine);
  // "d2z" is the old name of linear_decay: the same shape and calibration key.
  EXPECT_EQ(a.controls.schedule.shape, ScheduleShape::kLinearDecay);
  EXPECT_EQ(a.controls.ScheduleKey(), "linear_decay");
}

// A step beyond int64 was an undefined conversion (found by fuzzing, docs/fuzzing.md).
TEST(CurveCsvTest, AStepTooLargeForAnIntegerIsAnError) {
  for (const char* step : {"4.55556e+20", "9007199254740994", "1e308"}) {
    auto f = ParseCurveFile(absl::StrCat("run_id,step,loss,fraction\na,", step, ",5,1\n"), "f.csv");
    ASSERT_FALSE(f.ok()) << step;
    EXPECT_NE(f.status().message().find("below 2^53"), std::string::npos) << f.status();
  }
  for (const char* column : {"total_steps", "seed"}) {
    auto f = ParseCurveFile(
        absl::StrCat("run_id,step,loss,fraction,", column, "\na,1,5,1,9.77778e+23\n"), "f.csv");
    ASSERT_FALSE(f.ok()) << column;
    EXPECT_NE(f.status().message().find("not below 2^53"), std::string::npos) << f.status();
  }
  EXPECT_TRUE(ParseCurveFile("run_id,step,loss,fraction\na,9007199254740992,5,1\n", "f.csv").ok());
}

TEST(CurveCsvTest, OldAndCanonicalScheduleNamesReadAlike) {
  for (const char* name : {"d2z", "linear", "linear_decay", "cos", "cosine", "constant", "wsd",
                           "warmup_stable_decay"}) {
    auto curves = ParseCurvesCsv(absl::StrCat("run_id,step,loss,total_steps,schedule\nr,5,3,10,",
                                              name, "\nr,10,2.5,10,", name, "\n"),
                                 "t.csv");
    ASSERT_TRUE(curves.ok()) << name << ": " << curves.status();
    const CurveControls& k = (*curves)[0].controls;
    EXPECT_EQ(k.schedule.shape, *ParseScheduleShape(name)) << name;
    EXPECT_EQ(k.ScheduleKey(), ScheduleShapeName(k.schedule.shape)) << name;
    EXPECT_NE(k.schedule.shape, ScheduleShape::kTabulated) << name;
  }
}

TEST(CurveCsvTest, UnknownScheduleNameIsReadFromTheLrColumn) {
  const std::string csv =
      "run_id,step,loss,lr,total_steps,schedule\n"
      "r,50,3.5,0.002,100,two_stage\n"
      "r,100,3.0,0.001,100,two_stage\n";
  auto curves = ParseCurvesCsv(csv, "t.csv");
  ASSERT_TRUE(curves.ok()) << curves.status();
  const ScheduleSettings& s = (*curves)[0].controls.schedule;
  EXPECT_EQ(s.shape, ScheduleShape::kTabulated);
  EXPECT_EQ((*curves)[0].controls.ScheduleKey(), "two_stage");
  EXPECT_NEAR(ScheduleFactor(s, 1.0), 0.5, 1e-12);
}

TEST(CurveCsvTest, NonFiniteLossIsAcceptedAsDivergence) {
  auto curves = ParseCurvesCsv("run_id,step,loss,total_steps\nr,1,nan,10\nr,2,inf,10\n", "t.csv");
  ASSERT_TRUE(curves.ok()) << curves.status();
  EXPECT_EQ(FirstNonFinite((*curves)[0].points), 0);
}

void ExpectError(const std::string& csv, const std::string& where_and_why) {
  auto curves = ParseCurvesCsv(csv, "f.csv");
  ASSERT_FALSE(curves.ok());
  EXPECT_EQ(curves.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(curves.status().message().find(where_and_why), std::string::npos)
      << curves.status().message();
}

TEST(CurveCsvTest, MalformedFilesNameFileLineAndWhy) {
  ExpectError("", "f.csv:1: empty file");
  ExpectError("run_id,loss,total_steps\nr,3,10\n", "f.csv:1: missing required column 'step'");
  ExpectError("run_id,step,loss\nr,1,3\n", "f.csv:1: need a 'total_steps' or a 'fraction'");
  ExpectError("run_id,step,loss,total_steps\nr,1,3,10\nr,2,abc,10\n",
              "f.csv:3: loss 'abc' is not a number");
  ExpectError("run_id,step,loss,total_steps\nr,1,3,10\nr,2,3\n", "f.csv:3: 3 fields, header has 4");
  ExpectError("run_id,step,loss,total_steps\nr,1,3,10\nr,2,3,20\n",
              "f.csv:3: run 'r': total_steps '20' differs from '10' on line 2");
  ExpectError("run_id,step,loss,total_steps\nr,1.5,3,10\n", "f.csv:2: step '1.5'");
  ExpectError("run_id,step,loss,total_steps\nr,11,3,10\n", "beyond total_steps 10");
  ExpectError("run_id,step,loss,total_steps,schedule\nr,1,3,10,zigzag\n",
              "f.csv:2: run 'r': schedule 'zigzag' is not linear_decay");
  ExpectError("run_id,step,loss,total_steps\n", "no data rows");
}

TEST(CurveCsvTest, RoundTripsThroughCsv) {
  const Curve c = FormCurve("rt", testing::TrueConstants(), testing::D2zControls(0.1, 20), 3.0,
                            SyntheticOptions{.points = 50});
  auto back = ParseCurvesCsv(CurvesToCsv({c}), "rt.csv");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ((*back)[0].points.size(), 50u);
  EXPECT_DOUBLE_EQ((*back)[0].points[7].loss, c.points[7].loss);
  EXPECT_DOUBLE_EQ((*back)[0].controls.tau, 0.1);
  EXPECT_TRUE((*back)[0].complete);
}

}  // namespace
}  // namespace augur::predictor
