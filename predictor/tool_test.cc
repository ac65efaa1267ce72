#include "predictor/tool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/test_temp_dir.h"
#include "nlohmann/json.hpp"
#include "predictor/curve_csv.h"
#include "predictor/policy.h"
#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;

const FormConstants kK{0.1, -0.5, 1.0, 0.0};

class ToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    std::vector<Curve> refs, sweep, partial;
    for (double tau : {0.02, 0.06, 0.12, 0.25, 0.5}) {
      refs.push_back(FormCurve("ref" + std::to_string(tau), kK, D2zControls(tau, 20), 4.0,
                               SyntheticOptions{.points = 200}));
    }
    int i = 0;
    for (auto [tau, fin] : std::vector<std::pair<double, double>>{
             {0.4, 3.10}, {0.2, 3.05}, {0.1, 3.02}, {0.05, 3.00}, {0.025, 3.04}}) {
      Curve c = FormCurve("lr" + std::to_string(i++), kK, D2zControls(tau, 20), fin,
                          SyntheticOptions{.points = 200});
      sweep.push_back(c);
      c.points = PrefixTo(c.points, 0.2);
      partial.push_back(c);
    }
    Write("refs.csv", CurvesToCsv(refs));
    Write("sweep.csv", CurvesToCsv(sweep));
    Write("partial.csv", CurvesToCsv(partial));
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  int Run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    return RunPredictTool(args, out_, err_);
  }
  std::string P(const std::string& name) { return dir_ + "/" + name; }

  // A directory of its own (ctest runs the cases of this fixture in parallel processes, and a
  // shared one let a case read a file another was rewriting), removed with the fixture.
  const augur::testing::TempDir tmp_{"tool_test"};
  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(ToolTest, FitPredictReplay) {
  ASSERT_EQ(Run({"fit", P("refs.csv"), "-o", P("model.json")}), 0) << err_.str();
  EXPECT_NE(out_.str().find("linear_decay"), std::string::npos);
  EXPECT_NE(out_.str().find("q90@0.1"), std::string::npos) << out_.str();
  // What the held-out errors can measure is said with the sizes the references span.
  EXPECT_NE(err_.str().find("of one model size"), std::string::npos) << err_.str();
  // 5 reference curves: too few for the quantile, and the widening is said.
  EXPECT_NE(err_.str().find("rests on 5 held-out curves, too few for a 90% quantile (9 needed)"),
            std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("widened 1.23x"), std::string::npos) << err_.str();
  std::vector<Curve> two_sizes;
  for (double scale : {1.0, 2.0}) {
    for (double tau : {0.05, 0.2}) {
      CurveControls k = D2zControls(tau, 20);
      k.params *= scale;
      two_sizes.push_back(FormCurve(absl::StrCat("r", scale, "_", tau), kK, k, 4.0 / scale,
                                    SyntheticOptions{.points = 200}));
    }
  }
  Write("two_sizes.csv", CurvesToCsv(two_sizes));
  ASSERT_EQ(Run({"fit", P("two_sizes.csv"), "-o", P("two.json")}), 0) << err_.str();
  EXPECT_NE(err_.str().find("span two model sizes"), std::string::npos) << err_.str();

  ASSERT_EQ(Run({"predict", "--model", P("model.json"), P("partial.csv"), "--output", "json"}), 0)
      << err_.str();
  auto rows = nlohmann::json::parse(out_.str());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_NEAR(rows[3]["predicted_final_loss"].get<double>(), 3.00, 0.01);
  EXPECT_LE(rows[3]["lower"].get<double>(), 3.00);
  EXPECT_GE(rows[3]["upper"].get<double>(), 3.00);

  ASSERT_EQ(Run({"replay", P("sweep.csv"), "--all-policies", "--model", P("model.json"),
                 "--milestones", "0.1,0.2,0.3", "--output", "json"}),
            0)
      << err_.str();
  auto results = nlohmann::json::parse(out_.str());
  ASSERT_EQ(results.size(), PolicyNames().size());
  EXPECT_EQ(results[0]["policy"], "collapse");
  EXPECT_EQ(results[0]["chosen"], "lr3");
  EXPECT_EQ(results[0]["best"], "lr3");

  ASSERT_EQ(Run({"replay", P("sweep.csv"), "--policy", "asha"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("asha"), std::string::npos);
}

// With no flag but the model, replay runs the product's policy with its default milestones, and
// over several groups ends with a summary per policy.
TEST_F(ToolTest, ReplayWithDefaultFlagsRunsCollapseAndSummarizesTheGroups) {
  ASSERT_EQ(Run({"fit", P("refs.csv"), "-o", P("model.json")}), 0) << err_.str();
  std::vector<Curve> two;
  for (const char* group : {"a", "b"}) {
    int i = 0;
    for (auto [tau, fin] :
         std::vector<std::pair<double, double>>{{0.4, 3.10}, {0.1, 3.02}, {0.05, 3.00}}) {
      Curve c = FormCurve(std::string(group) + std::to_string(i++), kK, D2zControls(tau, 20), fin,
                          SyntheticOptions{.points = 200});
      c.group = group;
      two.push_back(c);
    }
  }
  Write("two.csv", CurvesToCsv(two));
  ASSERT_EQ(Run({"replay", P("two.csv"), "--model", P("model.json")}), 0) << err_.str();
  const std::string text = out_.str();
  EXPECT_NE(text.find("group a: 3 runs, milestones 0.1,0.15"), std::string::npos) << text;
  EXPECT_NE(text.find("all 2 groups:"), std::string::npos) << text;
  const size_t summary = text.find("all 2 groups:");
  const size_t row = text.find("collapse", summary);
  ASSERT_NE(row, std::string::npos) << text;
  EXPECT_NE(text.find("2/2", row), std::string::npos) << text;  // Both groups' best picked.
  EXPECT_NE(Run({"replay", P("two.csv"), "--model", P("model.json"), "--policy", "asha",
                 "--all-policies"}),
            0);
  EXPECT_NE(err_.str().find("not both"), std::string::npos) << err_.str();
}

// Runs of two model sizes with no group column: each size is a sweep of its own, as `augur run`
// ranks them (the best learning rate per size is what such a sweep looks for).
TEST_F(ToolTest, ReplayWithoutAGroupColumnDecidesEachModelSizeApart) {
  ASSERT_EQ(Run({"fit", P("refs.csv"), "-o", P("model.json")}), 0) << err_.str();
  std::vector<Curve> sizes;
  for (double scale : {1.0, 4.0}) {
    int i = 0;
    for (auto [tau, fin] : std::vector<std::pair<double, double>>{
             {0.4, 3.10 / scale}, {0.1, 3.02 / scale}, {0.05, 3.00 / scale}}) {
      CurveControls k = D2zControls(tau, 20);
      k.params *= scale;
      sizes.push_back(FormCurve(absl::StrCat("n", scale, "_", i++), kK, k, fin,
                                SyntheticOptions{.points = 200}));
    }
  }
  Write("sizes.csv", CurvesToCsv(sizes));
  ASSERT_EQ(Run({"replay", P("sizes.csv"), "--model", P("model.json"), "--output", "json"}), 0)
      << err_.str();
  EXPECT_NE(err_.str().find("span 2 comparison groups"), std::string::npos) << err_.str();
  const auto results = nlohmann::json::parse(out_.str());
  ASSERT_EQ(results.size(), 2u) << out_.str();  // One sweep before: the larger size's pick only.
  std::set<std::string> chosen;
  for (const auto& r : results) {
    EXPECT_EQ(r["chosen"], r["best"]) << r.dump();
    chosen.insert(r["chosen"].get<std::string>());
  }
  EXPECT_EQ(chosen, (std::set<std::string>{"n1_2", "n4_2"}));
}

// Runs logged every 6.25% of training cannot be aligned at 10% or 15% (3 points from 5% on are
// at 6.25, 12.5 and 18.75%): the tool says so and from where, instead of a silent full sweep.
TEST_F(ToolTest, ReplaySaysWhenRunsAreLoggedTooSparselyForTheMilestones) {
  ASSERT_EQ(Run({"fit", P("refs.csv"), "-o", P("model.json")}), 0) << err_.str();
  std::vector<Curve> sparse;
  int i = 0;
  for (auto [tau, fin] : std::vector<std::pair<double, double>>{{0.4, 3.10}, {0.1, 3.02}}) {
    sparse.push_back(FormCurve(absl::StrCat("s", i++), kK, D2zControls(tau, 20), fin,
                               SyntheticOptions{.points = 16}));
  }
  Write("sparse.csv", CurvesToCsv(sparse));
  ASSERT_EQ(Run({"replay", P("sparse.csv"), "--model", P("model.json"), "--output", "json"}), 0)
      << err_.str();
  for (const char* m : {"0.1", "0.15"}) {
    EXPECT_NE(
        err_.str().find(absl::StrCat("2 of 2 runs log fewer than 3 points between 0.05 and ", m,
                                     " of training: the alignment cannot predict them "
                                     "at milestone ",
                                     m, ",")),
        std::string::npos)
        << err_.str();
  }
  EXPECT_NE(err_.str().find("all can be predicted from 0.188"), std::string::npos) << err_.str();
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(out_.str())[0]["compute_fraction"].get<double>(), 1.0);
  ASSERT_EQ(Run({"replay", P("sparse.csv"), "--model", P("model.json"), "--milestones", "0.2,0.3",
                 "--output", "json"}),
            0)
      << err_.str();
  EXPECT_EQ(err_.str().find("log fewer"), std::string::npos) << err_.str();
  EXPECT_LT(nlohmann::json::parse(out_.str())[0]["compute_fraction"].get<double>(), 1.0);
}

TEST_F(ToolTest, HelpAndOneLineFailures) {
  for (const char* cmd : {"fit", "predict", "replay"}) {
    EXPECT_EQ(Run({cmd, "--help"}), 0);
    EXPECT_NE(out_.str().find(std::string("augur-predict ") + cmd), std::string::npos);
  }
  EXPECT_EQ(Run({"--help"}), 0);
  auto one_line = [&](int code) {
    EXPECT_NE(code, 0);
    const std::string e = err_.str();
    EXPECT_EQ(e.rfind("augur-predict: ", 0), 0u) << e;
    EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  };
  one_line(Run({}));
  one_line(Run({"bogus"}));
  one_line(Run({"fit", P("refs.csv")}));                              // No -o.
  one_line(Run({"replay", P("sweep.csv"), "--policy", "collapse"}));  // No reference.
  one_line(Run({"replay", P("sweep.csv"), "--policy", "asha", "--milestones", "0.1,2"}));
  one_line(Run({"predict", "--model", P("missing.json"), P("partial.csv")}));
  one_line(Run({"replay", P("sweep.csv"), "--policy", "asha", "--frobnicate"}));
  one_line(Run({"replay", P("sweep.csv"), "--policy", "bogus"}));
  EXPECT_EQ(out_.str(), "");  // Nothing half-printed before the error.
  Write("bad.csv", "run_id,step,loss,total_steps\nr,1,3,10\nr,x,3,10\n");
  one_line(Run({"replay", P("bad.csv"), "--policy", "none"}));
  EXPECT_NE(err_.str().find("bad.csv:3: step 'x'"), std::string::npos) << err_.str();
}

int Lines(const std::string& text, const std::string& containing) {
  int n = 0;
  for (size_t at = text.find(containing); at != std::string::npos;
       at = text.find(containing, at + 1)) {
    ++n;
  }
  return n;
}

TEST_F(ToolTest, SaysWhenASchedulesCalibrationIsThePooledOne) {
  ASSERT_EQ(Run({"fit", P("refs.csv"), "-o", P("model.json")}), 0) << err_.str();
  auto cosine = ReadCurvesCsv(P("partial.csv"));
  ASSERT_TRUE(cosine.ok());
  for (Curve& c : *cosine) {
    c.controls.schedule.shape = ScheduleShape::kCosine;
    for (CurvePoint& p : c.points) p.lr = 0;  // No lr column to contradict the name.
  }
  Write("cosine.csv", CurvesToCsv(*cosine));

  ASSERT_EQ(Run({"predict", "--model", P("model.json"), P("cosine.csv"), "--output", "json"}), 0)
      << err_.str();
  EXPECT_EQ(err_.str(), "augur-predict: note: schedule 'cosine' matches no calibration of " +
                            P("model.json") + " (linear_decay): using the pooled one\n");
  auto rows = nlohmann::json::parse(out_.str());
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& row : rows) EXPECT_TRUE(row["pooled_calibration"].get<bool>()) << row;

  ASSERT_EQ(Run({"replay", P("sweep.csv"), "--policy", "collapse", "--model", P("model.json"),
                 "--output", "json"}),
            0);
  EXPECT_EQ(err_.str(), "");  // linear_decay has its own calibration.
  EXPECT_EQ(nlohmann::json::parse(out_.str())[0]["pooled_calibration_for"].size(), 0u);

  ASSERT_EQ(Run({"predict", "--model", P("model.json"), P("partial.csv"), "--output", "json"}), 0);
  EXPECT_EQ(err_.str(), "");
  EXPECT_FALSE(nlohmann::json::parse(out_.str())[0]["pooled_calibration"].get<bool>());
}

TEST_F(ToolTest, AssumedWarmupIsSaidOnceNotPerPoint) {
  std::string csv = "run_id,step,loss,total_steps\n";
  for (const char* id : {"a", "b", "c"}) {
    for (int step = 1; step <= 100; ++step) {
      csv += absl::StrCat(id, ",", step, ",", 4.0 - 0.01 * step, ",100\n");
    }
  }
  Write("nowarmup.csv", csv);
  ASSERT_EQ(Run({"replay", P("nowarmup.csv"), "--policy", "none"}), 0) << err_.str();
  EXPECT_EQ(Lines(err_.str(), "\n"), 1) << err_.str();
  EXPECT_EQ(Lines(err_.str(),
                  "3 runs (a, b, c) without a warmup_fraction, warmup_steps or lr "
                  "column: assumed warmup 0.1"),
            1)
      << err_.str();
}

// Decided on the train loss, scored on the validation loss: the runs' train losses rank a < b <
// c, their validation losses (logged every 10 steps) c < a < b. With no stopping every run ends,
// so the chosen and best runs are those with the lowest final validation loss. Each trial lists
// its decision at every milestone.
TEST_F(ToolTest, ReplayScoresOnAnotherColumnAndListsEachMilestonesDecision) {
  std::string csv = "run_id,step,loss,val_loss,total_steps,warmup_fraction\n";
  const std::map<std::string, std::pair<double, double>> runs = {
      {"a", {3.0, 3.2}}, {"b", {3.1, 3.3}}, {"c", {3.2, 3.1}}};
  for (const auto& [id, base] : runs) {
    for (int step = 1; step <= 100; ++step) {
      const std::string val = step % 10 == 0 ? absl::StrCat(base.second - 0.001 * step) : "";
      csv += absl::StrCat(id, ",", step, ",", base.first - 0.001 * step, ",", val, ",100,0.1\n");
    }
  }
  Write("scored.csv", csv);
  ASSERT_EQ(Run({"replay", P("scored.csv"), "--policy", "none", "--score-on", "val_loss",
                 "--milestones", "0.2,0.5", "--output", "json"}),
            0)
      << err_.str();
  auto result = nlohmann::json::parse(out_.str())[0];
  EXPECT_EQ(result["chosen"], "c");
  EXPECT_EQ(result["best"], "c");
  EXPECT_NEAR(result["chosen_final_loss"].get<double>(), 3.1 - 0.1, 0.01);
  ASSERT_EQ(result["trials"].size(), 3u);
  for (const auto& t : result["trials"]) {
    ASSERT_EQ(t["decisions"].size(), 2u) << t.dump();
    EXPECT_DOUBLE_EQ(t["decisions"][0]["milestone"].get<double>(), 0.2);
    EXPECT_DOUBLE_EQ(t["decisions"][1]["milestone"].get<double>(), 0.5);
    EXPECT_EQ(t["decisions"][0]["action"], "continue");
    EXPECT_TRUE(t.contains("score_final_loss"));
  }
  // Without --score-on the train loss decides who is best.
  ASSERT_EQ(Run({"replay", P("scored.csv"), "--policy", "none", "--output", "json"}), 0);
  EXPECT_EQ(nlohmann::json::parse(out_.str())[0]["best"], "a");
  // An unknown column is an error naming the columns there are.
  EXPECT_NE(Run({"replay", P("scored.csv"), "--policy", "none", "--score-on", "val_los"}), 0);
  EXPECT_NE(err_.str().find("val_los"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("val_loss"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace augur::predictor
