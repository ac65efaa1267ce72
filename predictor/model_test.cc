#include "predictor/model.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/test_temp_dir.h"
#include "predictor/reference_source.h"
#include "predictor/test_util.h"

namespace augur::predictor {
namespace {

using testing::D2zControls;
using testing::TrueConstants;

std::vector<Curve> Refs() {
  std::vector<Curve> out;
  int i = 0;
  for (double tau : {0.05, 0.2}) {
    for (double tpp : {10.0, 40.0}) {
      SyntheticOptions o;
      o.points = 300;
      out.push_back(
          FormCurve("r" + std::to_string(i++), TrueConstants(), D2zControls(tau, tpp), 3.0, o));
    }
  }
  CurveControls cos = D2zControls(0.1, 20);
  cos.schedule.shape = ScheduleShape::kCosine;
  out.push_back(FormCurve("cos", TrueConstants(), cos, 3.0, {}));
  return out;
}

TEST(ModelTest, FitsPerScheduleAndPooledAndRoundTripsThroughJson) {
  auto model = FitModel(Refs(), FitOptions{}, /*min_curves_per_schedule=*/3);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ(model->calibrations.size(), 2u);  // linear_decay (4 curves) and pooled; cosine has 1.
  EXPECT_EQ(model->For("linear_decay")->schedule_key, "linear_decay");
  EXPECT_EQ(model->For("cosine")->schedule_key, "*");

  // Per process: ctest may run another binary's test writing a model at the same time.
  const augur::testing::TempDir dir("model_test");
  const std::string path = dir.File("model.json");
  ASSERT_TRUE(SaveModel(*model, path).ok());
  auto loaded = LoadModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->calibrations.size(), model->calibrations.size());
  for (size_t i = 0; i < model->calibrations.size(); ++i) {
    const auto& a = model->calibrations[i];
    const auto& b = loaded->calibrations[i];
    EXPECT_EQ(a.schedule_key, b.schedule_key);
    EXPECT_DOUBLE_EQ(a.constants.b_c, b.constants.b_c);
    EXPECT_DOUBLE_EQ(a.constants.q_e, b.constants.q_e);
    EXPECT_EQ(a.error.rel_rmse, b.error.rel_rmse);
    // What the intervals' widening and fit's notes read survives the file.
    EXPECT_FALSE(a.error.held_out.empty());
    EXPECT_EQ(a.error.held_out, b.error.held_out);
    EXPECT_GT(a.sizes, 0);
    EXPECT_EQ(a.sizes, b.sizes);
  }
  EXPECT_EQ(ModelToJson(*model), ModelToJson(*loaded));
  EXPECT_EQ(*ReadModelText(path), ModelToJson(*model));  // The file's text, as written.
}

// A model path is read only as a regular file holding a model, and never waited on.
TEST(ModelTest, ReadModelTextRefusesWhatIsNotAModelFile) {
  const augur::testing::TempDir tmp("model_text");
  const std::string& dir = tmp.path();
  EXPECT_EQ(ReadModelText(dir + "/missing.json").status().code(), absl::StatusCode::kNotFound);
  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0600), 0);  // No writer: a blocking open would hang.
  const auto fifo = ReadModelText(dir + "/fifo");
  EXPECT_EQ(fifo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(fifo.status().message().find("is not a regular file"), std::string::npos);
  EXPECT_EQ(ReadModelText(dir).status().code(), absl::StatusCode::kInvalidArgument);
  std::FILE* f = std::fopen((dir + "/text.json").c_str(), "w");
  std::fputs("{\"calibrations\": 3}", f);
  std::fclose(f);
  const auto text = ReadModelText(dir + "/text.json");
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("is not a fitted predictor model"), std::string::npos);
}

TEST(ModelTest, ReadsModelsKeyedByOldShapeNames) {
  auto model = FitModel(Refs(), FitOptions{}, /*min_curves_per_schedule=*/3);
  ASSERT_TRUE(model.ok()) << model.status();
  std::string json = ModelToJson(*model);
  const std::string key = "\"schedule\": \"linear_decay\"";
  ASSERT_NE(json.find(key), std::string::npos) << json;
  json.replace(json.find(key), key.size(), "\"schedule\": \"d2z\"");  // As shipped models say.
  auto loaded = ModelFromJson(json);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_NE(loaded->For("linear_decay"), nullptr);
  EXPECT_EQ(loaded->For("linear_decay")->schedule_key, "linear_decay");
  EXPECT_EQ(ModelToJson(*loaded), ModelToJson(*model));
}

TEST(ModelTest, RejectsWrongFormatVersionAndFixedConstants) {
  auto model = FitModel(Refs(), FitOptions{});
  ASSERT_TRUE(model.ok());
  std::string json = ModelToJson(*model);
  EXPECT_FALSE(ModelFromJson("{not json").ok());
  std::string wrong = json;
  wrong.replace(wrong.find("\"version\": 1"), 12, "\"version\": 9");
  EXPECT_EQ(ModelFromJson(wrong).status().code(), absl::StatusCode::kInvalidArgument);
  wrong = json;
  wrong.replace(wrong.find("\"m\": 0.05"), 9, "\"m\": 0.07");
  EXPECT_FALSE(ModelFromJson(wrong).ok());
  EXPECT_EQ(LoadModel("/nonexistent/model.json").status().code(), absl::StatusCode::kNotFound);
}

TEST(ModelTest, BothReferenceKindsServeTheSameInterface) {
  const auto refs = Refs();
  auto model = FitModel(refs, FitOptions{});
  ASSERT_TRUE(model.ok());
  ModelReferenceSource form(*model);
  EmpiricalReferenceSource empirical(refs);
  const CurveControls c = D2zControls(0.05, 10);
  for (const ReferenceSource* src : {static_cast<const ReferenceSource*>(&form),
                                     static_cast<const ReferenceSource*>(&empirical)}) {
    auto ref = src->ReferenceFor(c);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_NEAR((*ref)->Normalized(1.0), 1.0, 2e-3);
    const double expected = FormNormalized(0.3, ParamsFor(TrueConstants(), c), c.schedule);
    EXPECT_NEAR((*ref)->Normalized(0.3), expected, 3e-3) << (*ref)->Describe();
  }
  EXPECT_EQ(empirical.ReferenceFor(D2zControls(0.7, 10)).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace augur::predictor
