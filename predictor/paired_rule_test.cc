// The paired decision rule: its error model (held_out_errors) and its cut (PairedCut).
#include <cmath>
#include <map>

#include "gtest/gtest.h"
#include "predictor/held_out_errors.h"
#include "predictor/model.h"
#include "predictor/policy.h"

namespace augur::predictor {
namespace {

// Held-out predictions of `n` curves in one group at fraction x: every prediction is off by the
// same `shared` relative bias, plus `own[i]`.
std::vector<HeldOutPrediction> Biased(double x, size_t group, size_t first_curve, double shared,
                                      const std::vector<double>& own) {
  std::vector<HeldOutPrediction> out;
  for (size_t i = 0; i < own.size(); ++i) {
    const double truth = 3.0 + 0.1 * i;
    out.push_back({x, first_curve + i, group, truth * (1 + shared + own[i]), truth});
  }
  return out;
}

TEST(HeldOutErrorsTest, ASharedBiasCancelsInThePairedError) {
  auto p = Biased(0.1, 0, 0, 0.05, {0.001, -0.001, 0.0, 0.002});
  const ErrorModel e = ErrorModelFrom(p, {0.1});
  ASSERT_EQ(e.fractions.size(), 1u);
  EXPECT_NEAR(e.At(0.1), 0.05, 0.003);  // The finals are 5% off...
  ASSERT_TRUE(e.diff_measured());
  EXPECT_EQ(e.diff_pairs, 6);
  EXPECT_LT(e.DiffAt(0.1), 0.005);  // ...their differences a few tenths of a percent.
  EXPECT_GT(e.DiffAt(0.1), 0.001);
}

TEST(HeldOutErrorsTest, PairsAreTakenWithinAGroupOnly) {
  // Two groups with opposite biases: pooled, every cross pair would be 10% off.
  auto p = Biased(0.2, 0, 0, 0.05, {0.0, 0.001});
  auto q = Biased(0.2, 1, 2, -0.05, {0.0, 0.001});
  p.insert(p.end(), q.begin(), q.end());
  const ErrorModel e = ErrorModelFrom(p, {0.2});
  EXPECT_FALSE(e.diff_measured());  // Two pairs, fewer than kMinDiffPairs.
  // The stated fallback, widened for the 4 curves behind the rms.
  EXPECT_EQ(e.held_out, std::vector<int>{4});
  EXPECT_NEAR(e.DiffAt(0.2), std::sqrt(2.0) * e.At(0.2) * SmallSampleFactor(4), 1e-12);
  auto r = Biased(0.2, 0, 4, 0.05, {0.002});
  p.insert(p.end(), r.begin(), r.end());
  const ErrorModel f = ErrorModelFrom(p, {0.2});
  ASSERT_TRUE(f.diff_measured());
  EXPECT_LT(f.DiffAt(0.2), 0.003);
}

TEST(HeldOutErrorsTest, BelowItsFirstMeasuredFractionThePairedErrorKeepsItsRatio) {
  ErrorModel e{{0.1, 0.2}, {0.04, 0.02}, {0.2}, {0.005}, 5, {}};
  const double k = SmallSampleFactor(5);  // The paired rms was measured on 5 pairs.
  EXPECT_NEAR(e.DiffAt(0.1), 0.01 * k, 1e-12);
  EXPECT_NEAR(e.DiffAt(0.3), 0.005 * k, 1e-12);
}

TEST(SmallSampleFactorTest, IsStudentsTOverTheNormalQuantileAndFadesWithMoreCurves) {
  EXPECT_DOUBLE_EQ(SmallSampleFactor(0), 1.0);  // Not recorded: taken as measured.
  EXPECT_NEAR(SmallSampleFactor(1), 6.314 / 1.6449, 1e-3);
  EXPECT_NEAR(SmallSampleFactor(4), 2.132 / 1.6449, 1e-3);
  EXPECT_NEAR(SmallSampleFactor(10), 1.812 / 1.6449, 1e-3);
  EXPECT_NEAR(SmallSampleFactor(31), 1.6955 / 1.6449, 1e-3);  // Beyond the table.
  EXPECT_NEAR(SmallSampleFactor(1000), 1.0, 2e-3);
  for (int n = 1; n < 60; ++n) EXPECT_GT(SmallSampleFactor(n), SmallSampleFactor(n + 1)) << n;
  // The error model carries it: the same rms measured on 4 curves or on 40.
  ErrorModel few{{0.1}, {0.03}, {}, {}, 0, {}, {4}};
  ErrorModel many{{0.1}, {0.03}, {}, {}, 0, {}, {40}};
  EXPECT_DOUBLE_EQ(few.At(0.1), many.At(0.1));  // What `fit` reports is what was measured.
  EXPECT_NEAR(few.ScaleAt(0.1), 0.03 * 2.132 / 1.6449, 1e-4);
  EXPECT_LT(many.ScaleAt(0.1), 0.03 * 1.03);
  EXPECT_GT(few.DiffAt(0.1), many.DiffAt(0.1));
  // Counted per fraction: sparse early logs leave fewer curves at 10% than at 20%, and between
  // two fractions the fewer counts.
  ErrorModel by_fraction{{0.1, 0.2, 0.3}, {0.03, 0.03, 0.03}, {}, {}, 0, {}, {2, 10, 10}};
  EXPECT_NEAR(by_fraction.ScaleAt(0.1), 0.03 * SmallSampleFactor(2), 1e-12);
  EXPECT_NEAR(by_fraction.ScaleAt(0.15), 0.03 * SmallSampleFactor(2), 1e-12);
  EXPECT_NEAR(by_fraction.ScaleAt(0.2), 0.03 * SmallSampleFactor(10), 1e-12);
  EXPECT_NEAR(by_fraction.ScaleAt(0.25), 0.03 * SmallSampleFactor(10), 1e-12);
  EXPECT_NEAR(by_fraction.ScaleAt(0.9), 0.03 * SmallSampleFactor(10), 1e-12);
}

TEST(HeldOutErrorsTest, ComparisonGroupsFollowTheGroupColumnElseSizeAndLength) {
  Curve a, b, c, d;
  a.controls.params = b.controls.params = 1e6;
  c.controls.params = 2e6;
  a.controls.total_steps = b.controls.total_steps = c.controls.total_steps = 100;
  b.controls.peak_lr = 3e-3;  // An LR sweep: same group.
  d.group = "sweep-7";
  const auto g = ComparisonGroups({&a, &b, &c, &d});
  EXPECT_EQ(g[0], g[1]);
  EXPECT_NE(g[0], g[2]);
  EXPECT_NE(g[2], g[3]);
}

TEST(ModelJsonTest, PairedErrorsRoundTripAndOldModelsLoadWithout) {
  PredictorModel m;
  Calibration cal;
  cal.schedule_key = kPooledKey;
  cal.error = ErrorModel{{0.1, 0.2}, {0.04, 0.02}, {0.2}, {0.005}, 7, {}};
  m.calibrations.push_back(cal);
  auto back = ModelFromJson(ModelToJson(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->calibrations[0].error.diff_fractions, std::vector<double>{0.2});
  EXPECT_EQ(back->calibrations[0].error.rel_diff_rmse, std::vector<double>{0.005});
  EXPECT_EQ(back->calibrations[0].error.diff_pairs, 7);
  m.calibrations[0].error.diff_fractions.clear();
  m.calibrations[0].error.rel_diff_rmse.clear();
  const std::string old = ModelToJson(m);
  EXPECT_EQ(old.find("diff_fractions"), std::string::npos);
  auto loaded = ModelFromJson(old);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->calibrations[0].error.diff_measured());
}

// A group whose trials' summaries are given directly: value, noise and paired error.
struct Fake {
  std::string id;
  double value;
  double noise = 0.0005;
  double paired = 0.002;
  std::string family = "form:a";
};

std::map<std::string, Decision> Cut(const std::vector<Fake>& fakes, bool last,
                                    const PolicyConfig& config) {
  SummarizedGroup g;
  std::vector<PoolEntry> pool;
  for (size_t i = 0; i < fakes.size(); ++i) {
    g.trials.push_back({fakes[i].id, TrialState::kRunning, {}, true});
    PoolEntry e = PoolEntry::Point(fakes[i].value, fakes[i].value);
    e.trial = i;
    e.rel_noise_se = fakes[i].noise;
    e.rel_diff_error = fakes[i].paired;
    e.rel_model_error = 0.03;
    e.error_family = fakes[i].family;
    pool.push_back(e);
  }
  std::map<std::string, Decision> out;
  for (Decision& d : PairedCut(g, pool, last, config)) out[d.trial_id] = d;
  return out;
}

TEST(PairedCutTest, StopsWhatCannotBeatTheLeaderAndKeepsWhatMight) {
  PolicyConfig c;  // Defaults: tolerance 0.1%, risk 5%.
  auto d = Cut({{"lead", 3.000}, {"close", 3.003}, {"far", 3.060}}, false, c);
  EXPECT_EQ(d["lead"].action, Action::kContinue);
  // 0.1% behind with an error of ~0.2%: it may well end ahead.
  EXPECT_EQ(d["close"].action, Action::kContinue);
  EXPECT_GT(d["close"].chance_better, c.risk);
  // 2% behind: no chance.
  EXPECT_EQ(d["far"].action, Action::kStop);
  EXPECT_LT(d["far"].chance_better, 1e-6);
  EXPECT_NE(d["far"].reason.find("below the risk"), std::string::npos) << d["far"].reason;
}

TEST(PairedCutTest, TheSharedErrorIsWhatMakesADifferenceDecidable) {
  PolicyConfig c;
  // 0.8% behind. With the paired error of its own family (0.2%) it is stopped; predicted from
  // another family, the finals' 3% errors add up and it is kept.
  EXPECT_EQ(Cut({{"lead", 3.0}, {"b", 3.024}}, false, c)["b"].action, Action::kStop);
  Fake other{"b", 3.024};
  other.family = "form:b";
  EXPECT_EQ(Cut({{"lead", 3.0}, other}, false, c)["b"].action, Action::kContinue);
}

TEST(PairedCutTest, ToleranceAndRiskMoveTheLineAsDocumented) {
  PolicyConfig c;
  c.tolerance = 0;
  c.risk = 0.05;
  // 0.4% behind, sd = sqrt(0.002^2 + 2 x 0.0005^2) = 0.212%: z = 1.89, chance 2.9%.
  auto d = Cut({{"lead", 3.0}, {"b", 3.012}}, false, c);
  EXPECT_NEAR(d["b"].chance_better, 0.5 * std::erfc(0.004 / 0.0021213 / std::sqrt(2.0)), 1e-4);
  EXPECT_EQ(d["b"].action, Action::kStop);
  c.risk = 0.01;  // More careful: kept.
  EXPECT_EQ(Cut({{"lead", 3.0}, {"b", 3.012}}, false, c)["b"].action, Action::kContinue);
  c.tolerance = 0.003;  // Caring only about 0.3% or more: stopped again.
  EXPECT_EQ(Cut({{"lead", 3.0}, {"b", 3.012}}, false, c)["b"].action, Action::kStop);
}

TEST(PairedCutTest, TheLastMilestoneKeepsKeepTopOfEachFamily) {
  PolicyConfig c;
  c.keep_top = 2;
  auto of_b = [](std::string id, double v) {
    Fake f{std::move(id), v};
    f.family = "form:b";
    return f;
  };
  auto d = Cut({{"lead", 3.0},
                {"b", 3.001},
                of_b("o", 3.0015),
                {"c", 3.002},
                of_b("p", 3.0016),
                of_b("q", 3.0017)},
               true, c);
  EXPECT_EQ(d["lead"].action, Action::kContinue);
  EXPECT_EQ(d["b"].action, Action::kContinue);  // Rank 2 of keep_top 2 in its family.
  EXPECT_EQ(d["c"].action, Action::kStop);      // Rank 3 in the leader's family.
  EXPECT_NE(d["c"].reason.find("rank 3/3"), std::string::npos) << d["c"].reason;
  EXPECT_NE(d["c"].reason.find("keep_top 2"), std::string::npos) << d["c"].reason;
  // The other family's two best continue (not cut on rank against the leader's), its third not.
  EXPECT_EQ(d["o"].action, Action::kContinue);
  EXPECT_EQ(d["p"].action, Action::kContinue);
  EXPECT_EQ(d["q"].action, Action::kStop);
  EXPECT_NE(d["q"].reason.find("rank 3/3"), std::string::npos) << d["q"].reason;
  // Not the last milestone: the same close trials all continue.
  EXPECT_EQ(Cut({{"lead", 3.0}, {"b", 3.001}, {"c", 3.002}}, false, c)["c"].action,
            Action::kContinue);
}

}  // namespace
}  // namespace augur::predictor
