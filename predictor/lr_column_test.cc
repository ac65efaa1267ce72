#include "predictor/lr_column.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "predictor/curve_csv.h"

namespace augur::predictor {
namespace {

ScheduleSettings Schedule(ScheduleShape shape, double warmup) {
  ScheduleSettings s;
  s.shape = shape;
  s.warmup_fraction = warmup;
  return s;
}

// Points every `spacing` of training up to `until`, the lr following `s` at a peak of 3e-4.
std::vector<CurvePoint> Logged(const ScheduleSettings& s, double spacing, double until = 1.0) {
  std::vector<CurvePoint> points;
  for (int i = 1; i * spacing <= until + 1e-12; ++i) {
    CurvePoint p;
    p.step = i;
    p.fraction = i * spacing;
    p.loss = 3.0;
    p.lr = 3e-4 * ScheduleFactor(s, p.fraction);
    points.push_back(p);
  }
  return points;
}

TEST(LrColumnTest, WarmupIsWhereTheLoggedLrFirstReachesItsPeak) {
  for (double w : {0.02, 0.25}) {
    for (ScheduleShape shape : {ScheduleShape::kLinearDecay, ScheduleShape::kCosine,
                                ScheduleShape::kConstant, ScheduleShape::kWsd}) {
      auto got = WarmupFromLr(Logged(Schedule(shape, w), 0.01));
      ASSERT_TRUE(got.has_value()) << w;
      EXPECT_NEAR(*got, w, 1e-9) << w << " " << ScheduleShapeName(shape);
    }
  }
  // Logged every 10%: the peak first shows at 0.2; the ramp through (0.1, 2/3) ends at 0.15.
  EXPECT_NEAR(*WarmupFromLr(Logged(Schedule(ScheduleShape::kConstant, 0.15), 0.1)), 0.15, 1e-9);
  // A decaying shape logged that coarsely never shows its peak: the estimate stays between the
  // two points around it.
  const double coarse = *WarmupFromLr(Logged(Schedule(ScheduleShape::kLinearDecay, 0.15), 0.1));
  EXPECT_GT(coarse, 0.1);
  EXPECT_LE(coarse, 0.2);
}

TEST(LrColumnTest, NoWarmupWhenTheColumnCannotTell) {
  EXPECT_FALSE(WarmupFromLr({}).has_value());
  std::vector<CurvePoint> no_lr = Logged(Schedule(ScheduleShape::kCosine, 0.1), 0.01);
  for (CurvePoint& p : no_lr) p.lr = 0;
  EXPECT_FALSE(WarmupFromLr(no_lr).has_value());
  // A partial run still warming up: its largest lr so far is no peak.
  EXPECT_FALSE(WarmupFromLr(Logged(Schedule(ScheduleShape::kCosine, 0.25), 0.01, 0.2)).has_value());
}

TEST(LrColumnTest, DisagreementMeasuresTheNamedScheduleAgainstTheColumn) {
  const auto cosine = Logged(Schedule(ScheduleShape::kCosine, 0.05), 0.01);
  EXPECT_LT(LrDisagreement(Schedule(ScheduleShape::kCosine, 0.05), cosine), 1e-12);
  // Linear and cosine decay differ most at a quarter and three quarters of the decay.
  EXPECT_GT(LrDisagreement(Schedule(ScheduleShape::kLinearDecay, 0.05), cosine),
            kLrScheduleTolerance);
}

// A curve file of runs given as (id, schedule column or "" for none, the lr they logged or
// none); `warmup_column` adds warmup_fraction = 0.1.
std::string Csv(const std::vector<std::tuple<std::string, std::string, ScheduleSettings>>& runs,
                bool lr_column, double until = 1.0) {
  std::string out =
      absl::StrCat("run_id,step,loss,total_steps,schedule", lr_column ? ",lr" : "", "\n");
  for (const auto& [id, name, s] : runs) {
    for (const CurvePoint& p : Logged(s, 0.01, until)) {
      absl::StrAppend(&out, id, ",", p.step, ",", 3.0, ",100,", name);
      if (lr_column) absl::StrAppend(&out, ",", p.lr);
      absl::StrAppend(&out, "\n");
    }
  }
  return out;
}

TEST(LrColumnTest, ReaderTakesTheWarmupFromTheLrColumn) {
  auto file = ParseCurveFile(Csv({{"w2", "cosine", Schedule(ScheduleShape::kCosine, 0.02)},
                                  {"w25", "", Schedule(ScheduleShape::kLinearDecay, 0.25)}},
                                 /*lr_column=*/true),
                             "w.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_NEAR(file->curves[0].controls.schedule.warmup_fraction, 0.02, 1e-9);
  EXPECT_NEAR(file->curves[1].controls.schedule.warmup_fraction, 0.25, 1e-9);
  EXPECT_EQ(file->curves[0].controls.schedule.shape, ScheduleShape::kCosine);
  EXPECT_EQ(file->curves[1].controls.schedule.shape, ScheduleShape::kLinearDecay);
  EXPECT_TRUE(file->notes.empty()) << file->notes[0];
}

TEST(LrColumnTest, ReaderSaysOnceWhenItAssumesTheDefaultWarmup) {
  auto file = ParseCurveFile(Csv({{"a", "cosine", Schedule(ScheduleShape::kCosine, 0.02)},
                                  {"b", "cosine", Schedule(ScheduleShape::kCosine, 0.02)}},
                                 /*lr_column=*/false),
                             "d.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_DOUBLE_EQ(file->curves[0].controls.schedule.warmup_fraction, 0.1);
  ASSERT_EQ(file->notes.size(), 1u);
  EXPECT_EQ(file->notes[0],
            "d.csv: 2 runs (a, b) without a warmup_fraction, warmup_steps or lr column: assumed "
            "warmup 0.1");
}

TEST(LrColumnTest, TheLrColumnWinsOverANamedScheduleItContradicts) {
  // Named linear_decay, but the lr followed a cosine: eta(x) comes from the column, the
  // calibration key stays the name, and one line says so.
  auto file =
      ParseCurveFile(Csv({{"cos1", "linear_decay", Schedule(ScheduleShape::kCosine, 0.05)},
                          {"cos2", "d2z", Schedule(ScheduleShape::kCosine, 0.05)},
                          {"lin", "linear_decay", Schedule(ScheduleShape::kLinearDecay, 0.05)}},
                         /*lr_column=*/true),
                     "s.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  for (int i : {0, 1}) {
    const CurveControls& k = file->curves[i].controls;
    EXPECT_EQ(k.schedule.shape, ScheduleShape::kTabulated);
    EXPECT_EQ(k.ScheduleKey(), "linear_decay");
    EXPECT_NEAR(ScheduleFactor(k.schedule, 0.5),
                ScheduleFactor(Schedule(ScheduleShape::kCosine, 0.05), 0.5), 1e-5);
  }
  EXPECT_EQ(file->curves[2].controls.schedule.shape, ScheduleShape::kLinearDecay);
  ASSERT_EQ(file->notes.size(), 2u);  // One per name as written ("d2z", "linear_decay").
  EXPECT_NE(file->notes[1].find("s.csv: 1 run (cos1): the lr column differs from schedule "
                                "'linear_decay' by up to 0.1"),
            std::string::npos)
      << file->notes[1];
  EXPECT_NE(file->notes[1].find("used the lr column for the schedule's shape (calibration key "
                                "'linear_decay')"),
            std::string::npos)
      << file->notes[1];
}

TEST(LrColumnTest, AgreeingColumnAndNameSayNothing) {
  auto file = ParseCurveFile(Csv({{"a", "wsd", Schedule(ScheduleShape::kWsd, 0.05)},
                                  {"b", "cosine", Schedule(ScheduleShape::kCosine, 0.05)}},
                                 /*lr_column=*/true),
                             "s.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->curves[0].controls.schedule.shape, ScheduleShape::kWsd);
  EXPECT_EQ(file->curves[1].controls.schedule.shape, ScheduleShape::kCosine);
  EXPECT_TRUE(file->notes.empty()) << file->notes[0];
}

TEST(LrColumnTest, APartialColumnCannotOverrideTheNamedSchedule) {
  // Its lr stops at 60%: the form needs eta(x) to the end, so the name is kept, and said.
  auto file = ParseCurveFile(
      Csv({{"p", "linear_decay", Schedule(ScheduleShape::kCosine, 0.05)}}, true, 0.6), "p.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->curves[0].controls.schedule.shape, ScheduleShape::kLinearDecay);
  ASSERT_EQ(file->notes.size(), 1u);
  EXPECT_NE(file->notes[0].find("but stops before the run's end: used schedule 'linear_decay'"),
            std::string::npos)
      << file->notes[0];
}

}  // namespace
}  // namespace augur::predictor
