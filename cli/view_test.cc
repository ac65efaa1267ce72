// The pure parts of the commands: the exported CSV (read back by the predictor's own reader),
// plots (PNG structure, SVG series), progress bars and the summary's winner and compute.
#include <zlib.h>

#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/curve_export.h"
#include "cli/plot.h"
#include "cli/recommendation.h"
#include "cli/report.h"
#include "cli/sweep_view.h"
#include "cli/table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "predictor/curve_csv.h"

namespace augur::cli {
namespace {

using ::testing::HasSubstr;

v1::TrialCurve MakeCurve(const std::string& id, double lr, v1::TrialState state, int points,
                         double final_loss) {
  v1::TrialCurve c;
  v1::Trial& t = *c.mutable_trial();
  t.set_trial_id(id);
  t.set_state(state);
  t.mutable_hyperparameters()->set_peak_lr(lr);
  t.mutable_hyperparameters()->set_tau(0.2);
  t.mutable_hyperparameters()->set_model_size("w64");
  v1::CurveControls& k = *t.mutable_controls();
  k.set_total_steps(100);
  k.set_peak_lr(lr);
  k.set_weight_decay(0.1);
  k.set_tau(0.2);
  k.set_batch_tokens(4096);
  k.set_params(98900);
  k.set_tokens_per_param(20);
  k.mutable_schedule()->set_shape(v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  k.mutable_schedule()->set_warmup_fraction(0.1);
  for (int i = 1; i <= points; ++i) {
    v1::LossPoint& p = *c.add_points();
    p.set_step(i * 10);
    p.set_tokens(i * 10 * 4096);
    p.set_fraction(i * 0.1);
    p.set_train_loss(final_loss + 1.0 / i);
    p.set_lr(lr);
  }
  *t.mutable_last_point() = c.points(points - 1);
  return c;
}

TEST(CurveExportTest, PredictorReadsTheCsvBack) {
  const std::vector<v1::TrialCurve> curves = {
      MakeCurve("s-1/t001", 0.01, v1::TRIAL_STATE_COMPLETED, 10, 2.0),
      MakeCurve("s-1/t002", 0.03, v1::TRIAL_STATE_STOPPED, 3, 2.5)};
  auto read = predictor::ParseCurvesCsv(CurvesCsv(curves, "s-1"), "export.csv");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  const predictor::Curve& a = (*read)[0];
  EXPECT_EQ(a.id, "s-1/t001");
  EXPECT_EQ(a.group, "s-1");
  EXPECT_TRUE(a.complete);
  EXPECT_EQ(a.controls.total_steps, 100);
  EXPECT_DOUBLE_EQ(a.controls.peak_lr, 0.01);
  EXPECT_DOUBLE_EQ(a.controls.tau, 0.2);
  EXPECT_DOUBLE_EQ(a.controls.params, 98900);
  ASSERT_EQ(a.points.size(), 10u);
  EXPECT_DOUBLE_EQ(a.points[9].loss, 2.1);
  EXPECT_DOUBLE_EQ(a.points[9].fraction, 1.0);
  EXPECT_FALSE((*read)[1].complete);
  EXPECT_EQ((*read)[1].points.size(), 3u);
}

TEST(PlotTest, PngIsAValidImageOfTheRequestedSize) {
  Plot plot;
  plot.series.push_back({"a", {0, 1, 2}, {3, 2, 1.5}, false});
  const std::string png = PlotPng(plot, 40, 30);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  auto be32 = [&png](size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(png[at])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(png[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(png[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<uint8_t>(png[at + 3]));
  };
  EXPECT_EQ(be32(16), 40u);
  EXPECT_EQ(be32(20), 30u);
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  const uint32_t length = be32(idat - 4);
  std::string raw(30 * (1 + 40 * 3), '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(png.data() + idat + 4), length),
            Z_OK);
  EXPECT_EQ(raw_size, raw.size());
  EXPECT_NE(raw.find(std::string("\x1f\x77\xb4", 3)), std::string::npos);  // The line's color.
  EXPECT_EQ(png.substr(png.size() - 8, 4), "IEND");
}

TEST(PlotTest, SvgHasOnePolylinePerSeriesAndEscapesLabels) {
  Plot plot;
  plot.title = "a<b";
  plot.series.push_back({"x&y", {0, 1}, {1, 2}, false});
  plot.series.push_back({"z", {0, 1}, {2, 1}, true});
  const std::string svg = PlotSvg(plot);
  size_t count = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos;
       at = svg.find("<polyline", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2u);
  EXPECT_THAT(svg, HasSubstr("a&lt;b"));
  EXPECT_THAT(svg, HasSubstr("x&amp;y"));
  EXPECT_THAT(svg, HasSubstr("stroke-dasharray"));
  const std::string text = PlotText(plot, 30, 8);
  EXPECT_THAT(text, HasSubstr("  A  x&y"));
  EXPECT_THAT(text, HasSubstr("  b  z"));
}

TEST(SweepViewTest, ProgressBarHasAFixedWidth) {
  for (double f : {0.0, 0.013, 0.5, 0.999, 1.0, 2.0}) {
    EXPECT_EQ(DisplayWidth(ProgressBar(f, 12)), 17u) << f;
  }
  EXPECT_THAT(ProgressBar(1.0, 4), HasSubstr("100%"));
  EXPECT_EQ(HumanCount(17'810'000), "17.81M");
  EXPECT_EQ(ShortTrialId("s-1/t007"), "t007");
}

TEST(ReportTest, WinnerIsTheBestCompletedTrialAndComputeFallsBackToPoints) {
  v1::GetSweepResponse sweep;
  std::vector<v1::TrialCurve> curves = {
      MakeCurve("s-1/t001", 0.01, v1::TRIAL_STATE_COMPLETED, 10, 2.0),
      MakeCurve("s-1/t002", 0.03, v1::TRIAL_STATE_STOPPED, 3, 1.0),  // Lower, but stopped.
      MakeCurve("s-1/t003", 0.003, v1::TRIAL_STATE_COMPLETED, 10, 2.2)};
  for (const auto& c : curves) *sweep.add_ranking()->mutable_trial() = c.trial();
  const v1::Trial* winner = Winner(sweep, curves);
  ASSERT_NE(winner, nullptr);
  EXPECT_EQ(winner->trial_id(), "s-1/t001");
  const auto [spent, full] = TokensSpentAndFull(sweep, curves);
  EXPECT_EQ(spent, (100 + 30 + 100) * 4096);
  EXPECT_EQ(full, 3 * 100 * 4096);
  EXPECT_THAT(SummaryText(sweep, curves), HasSubstr("winner: t001 (w64 lr=0.01 tau=0.2"));
}

TEST(ReportTest, EachModelSizeGetsItsWinnerAndAnEdgeWinnerANote) {
  v1::GetSweepResponse sweep;
  std::vector<v1::TrialCurve> curves;
  // w64: the best LR (0.03) is the largest searched. w128: the best (0.01) is inside.
  for (auto [size, lr, loss] : {std::tuple{"w64", 0.003, 2.3},
                                {"w64", 0.01, 2.2},
                                {"w64", 0.03, 2.1},
                                {"w128", 0.003, 2.0},
                                {"w128", 0.01, 1.8},
                                {"w128", 0.03, 1.9}}) {
    curves.push_back(
        MakeCurve(absl::StrCat("s-1/t", size, lr), lr, v1::TRIAL_STATE_COMPLETED, 10, loss));
    curves.back().mutable_trial()->mutable_hyperparameters()->set_model_size(size);
  }
  for (const auto& c : curves) *sweep.add_ranking()->mutable_trial() = c.trial();
  const std::vector<Recommendation> r = Recommend(sweep, curves);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].size, "w64");
  EXPECT_DOUBLE_EQ(r[0].trial->hyperparameters().peak_lr(), 0.03);
  ASSERT_EQ(r[0].edge_notes.size(), 1u);  // tau is the same everywhere: no note about it.
  EXPECT_THAT(r[0].edge_notes[0], HasSubstr("lr=0.03 is the largest lr searched at w64"));
  EXPECT_EQ(r[1].size, "w128");
  EXPECT_DOUBLE_EQ(r[1].trial->hyperparameters().peak_lr(), 0.01);
  EXPECT_TRUE(r[1].edge_notes.empty());
  const std::string text = SummaryText(sweep, curves);
  EXPECT_THAT(text, HasSubstr("winner at w64: "));
  EXPECT_THAT(text, HasSubstr("winner at w128: "));
  EXPECT_THAT(text, HasSubstr("note: lr=0.03 is the largest"));
}

}  // namespace
}  // namespace augur::cli
