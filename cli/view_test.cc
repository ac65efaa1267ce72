// The pure parts of the commands: the exported CSV (read back by the predictor's own reader),
// plots (PNG structure, SVG series), progress bars and the summary's winner and compute.
#include <cairo.h>

#include <cstring>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/curve_export.h"
#include "cli/plot.h"
#include "cli/plot_axis.h"
#include "cli/recommendation.h"
#include "cli/remote_commands.h"
#include "cli/report.h"
#include "cli/sweep_view.h"
#include "cli/table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "predictor/curve_csv.h"

namespace augur::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

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

// The PNG is the SVG rasterized: its size, the line's colour and the title's text are there.
TEST(PlotTest, PngCarriesTheLinesAndTheText) {
  Plot plot;
  plot.title = "Training loss";
  plot.series.push_back({"a", {0, 1, 2}, {3, 2, 1.5}, false});
  const absl::StatusOr<std::string> png = PlotPng(plot, 400, 300);
  ASSERT_TRUE(png.ok()) << png.status();
  ASSERT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  struct Reader {
    const std::string* bytes;
    size_t at = 0;
  } reader{&*png};
  cairo_surface_t* image = cairo_image_surface_create_from_png_stream(
      [](void* closure, unsigned char* data, unsigned int length) {
        auto* r = static_cast<Reader*>(closure);
        if (r->at + length > r->bytes->size()) return CAIRO_STATUS_READ_ERROR;
        std::memcpy(data, r->bytes->data() + r->at, length);
        r->at += length;
        return CAIRO_STATUS_SUCCESS;
      },
      &reader);
  ASSERT_EQ(cairo_surface_status(image), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(image), 400);
  EXPECT_EQ(cairo_image_surface_get_height(image), 300);
  const unsigned char* pixels = cairo_image_surface_get_data(image);
  const int stride = cairo_image_surface_get_stride(image);
  int line = 0, title = 0;
  for (int y = 0; y < 300; ++y) {
    for (int x = 0; x < 400; ++x) {
      const uint32_t p = *reinterpret_cast<const uint32_t*>(pixels + y * stride + x * 4) & 0xffffff;
      if (p == 0x1f77b4) ++line;                // The first series' colour.
      if (y < 30 && (p & 0xff) < 100) ++title;  // Dark text in the title's band.
    }
  }
  cairo_surface_destroy(image);
  EXPECT_GT(line, 100);
  EXPECT_GT(title, 30);
}

TEST(PlotTest, TicksAreRoundAndReadable) {
  EXPECT_EQ(NiceTicks(0, 1000, 5), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  EXPECT_EQ(LogTicks(0.001, 0.1),
            (std::vector<double>{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1}));
  EXPECT_EQ(TickText(399000), "399k");
  EXPECT_EQ(TickText(1.25e6), "1.25M");
  EXPECT_EQ(TickText(2.5), "2.5");
  EXPECT_EQ(TickText(0.0003), "0.0003");
}

TEST(PlotTest, LegendFitsAndStylesStayDistinctBeyondTenSeries) {
  Plot plot;
  for (int i = 0; i < 60; ++i) {
    plot.series.push_back({"t0" + std::to_string(i) + " lr=0.00" + std::to_string(i % 9 + 1),
                           {0, 1},
                           {1.0 + i, 2.0},
                           false});
  }
  const std::string svg = PlotSvg(plot, 900, 540);
  EXPECT_THAT(svg, HasSubstr("stroke-dasharray=\"6 3\""));  // Series 10 to 19.
  EXPECT_THAT(svg, HasSubstr("stroke-dasharray=\"2 2\""));  // Series 20 to 29.
  EXPECT_THAT(svg, HasSubstr(" more (all in the dashboard)"));
  EXPECT_THAT(svg, Not(HasSubstr("e+0")));
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
  EXPECT_THAT(svg, HasSubstr("l8,8"));  // The cross where z ended early.
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

// A batch sweep at one tau solves the weight decay per trial: it varies, but was not searched,
// so its edge is no range to widen (seen on examples/batch_sweep.yaml: "wd=0.259 is the
// smallest wd searched").
TEST(ReportTest, OnlyTheSearchedHyperparametersGetAnEdgeNote) {
  v1::GetSweepResponse sweep;
  v1::SearchDimension* d =
      sweep.mutable_sweep()->mutable_spec()->mutable_search()->add_dimensions();
  d->set_parameter(v1::SEARCH_PARAMETER_BATCH_SEQUENCES);
  std::vector<v1::TrialCurve> curves;
  for (auto [batch, wd, loss] :
       {std::tuple{8, 0.26, 1.68}, {16, 0.52, 1.70}, {32, 1.03, 1.75}, {64, 2.07, 1.90}}) {
    curves.push_back(
        MakeCurve(absl::StrCat("s-1/b", batch), 0.01, v1::TRIAL_STATE_COMPLETED, 10, loss));
    auto* h = curves.back().mutable_trial()->mutable_hyperparameters();
    h->set_model_size("w64");
    h->set_batch_sequences(batch);
    h->set_weight_decay(wd);
  }
  for (const auto& c : curves) *sweep.add_ranking()->mutable_trial() = c.trial();
  const std::vector<Recommendation> r = Recommend(sweep, curves);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].edge_notes.size(), 1u) << r[0].edge_notes.back();
  EXPECT_THAT(r[0].edge_notes[0], HasSubstr("batch=8 is the smallest batch searched at w64"));
}

// A store that cannot commit (disk full) is said at the top of `augur status`, not only in JSON.
TEST(SweepHeaderTest, SaysWhenTheStoreCannotCommit) {
  v1::Sweep sweep;
  sweep.set_sweep_id("s-1");
  std::ostringstream clean;
  PrintSweepHeader(sweep, clean);
  EXPECT_THAT(clean.str(), Not(HasSubstr("WARNING")));
  sweep.set_store_warning("commit failed: database or disk is full");
  std::ostringstream warned;
  PrintSweepHeader(sweep, warned);
  EXPECT_THAT(warned.str(),
              StartsWith("WARNING: the scheduler cannot write its store (commit failed: database "
                         "or disk is full)"));
}

TEST(ViewTest, APauseOfARunningTrialSaysItIsOnItsWay) {
  v1::Trial t;
  t.set_trial_id("s-1/t007");
  t.set_state(v1::TRIAL_STATE_RUNNING);
  // The scheduler answers at once; the worker checkpoints the trial afterwards.
  EXPECT_EQ(TrialActionLine(t, /*pause_ordered=*/true),
            "trial s-1/t007: running, pausing: its worker checkpoints it and frees its slot "
            "within seconds");
  EXPECT_EQ(TrialActionLine(t, /*pause_ordered=*/false), "trial s-1/t007: running");
  t.set_state(v1::TRIAL_STATE_PAUSED);  // A pending trial pauses at once.
  EXPECT_EQ(TrialActionLine(t, true), "trial s-1/t007: paused");
}

TEST(ViewTest, AWaitingTrialSaysWhereAndForWhatAndAPausedOneWhy) {
  v1::Trial t;
  t.set_trial_id("s-1/t007");
  t.set_state(v1::TRIAL_STATE_WAITING);
  t.mutable_last_point()->set_fraction(0.1004);
  t.set_message("waiting at milestone 0.1");
  EXPECT_EQ(StopReason(t),
            "at 10%: waits for every live trial of its group to get there, then they are decided "
            "together");
  t.set_state(v1::TRIAL_STATE_PAUSED);
  t.set_message("paused by user");
  EXPECT_EQ(StopReason(t), "paused by user");
  t.set_state(v1::TRIAL_STATE_RUNNING);
  EXPECT_EQ(StopReason(t), "");
  t.set_state(v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(StopReason(t), "") << "a pending trial has nothing to explain";
}

}  // namespace
}  // namespace augur::cli
