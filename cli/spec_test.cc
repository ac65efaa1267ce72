#include "cli/spec.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/test_temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "predictor/model.h"

namespace augur::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

// A folder with a text corpus, a shard and a predictor model, as spec-relative paths use them.
class SpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data" / "corpus.txt") << "In the beginning";
    std::ofstream(dir_ / "data" / "tokens.bin") << std::string(1030, '\0');
    augur::predictor::PredictorModel model;
    augur::predictor::Calibration cal;
    cal.schedule_key = augur::predictor::kPooledKey;
    model.calibrations.push_back(cal);
    model_json_ = augur::predictor::ModelToJson(model);
    std::ofstream(dir_ / "model.json") << model_json_;
    std::ofstream(dir_ / "not_a_model.json") << "{}";
    options_.file_name = "sweep.yaml";
    options_.base_dir = dir_;
  }

  SpecParseResult Parse(const std::string& yaml) { return ParseSweepSpecDetailed(yaml, options_); }

  // The errors of `yaml` as "line:column: field: message" strings (file name left out).
  std::vector<std::string> Errors(const std::string& yaml) {
    std::vector<std::string> out;
    for (const SpecError& e : Parse(yaml).errors) out.push_back(e.ToString("f").substr(2));
    return out;
  }

  const augur::testing::TempDir tmp_{"spec_test"};  // Removed with the fixture.
  fs::path dir_;
  std::string model_json_;  // The valid model written to model.json.
  SpecParseOptions options_;
};

// Smallest valid spec; tests append or replace lines to make one mistake each.
constexpr char kMinimal[] = R"(name: tiny
model:
  sizes:
    - {width: 64, depth: 2, heads: 4, context: 128}
data:
  path: data/corpus.txt
optimizer:
  lr: 0.003
)";

TEST_F(SpecTest, EveryFieldRoundTrips) {
  const std::string yaml = R"(name: full
model:
  depth: 3
  heads: 2
  context: 64
  vocab: 300
  base_width: 32
  mlp_ratio: 2.5
  sizes:
    - name: ref
      width: 32
      reference_only: true
    - name: big
      width: 128
      depth: 4
      heads: 8
      context: 256
      vocab: 512
      base_width: 16
      mlp_ratio: 4
data:
  path: data/corpus.txt
  format: text
  validation_fraction: 0.2
  data_seed: 9
tokens_per_param: 40
schedule:
  shape: wsd
  warmup_fraction: 0.05
  decay_fraction: 0.3
  final_lr_fraction: 0.1
optimizer:
  lr: 0.01
  weight_decay: 0.05
  betas: [0.8, 0.99]
  eps: 1.0e-6
  grad_clip: 0
batch_sequences: 16
search:
  method: sobol
  trials: 7
  seed: 11
  parameters:
    lr: {min: 1.0e-4, max: 1.0e-2, log: true}
    batch_sequences: [8, 16]
policy:
  kind: collapse
  milestones: [0.25, 0.5]
  keep_top: 2
  model: model.json
  reference_width_ratio: 0.25
  use_interval: false
resources:
  gpus: 2
  cpu_threads: 3
seeds: [1, 2]
eval_interval_steps: 7
eval_sequences: 5
checkpoint_interval_steps: 0
)";
  SpecParseResult r = Parse(yaml);
  ASSERT_TRUE(r.ok()) << r.ErrorText("sweep.yaml");
  const augur::v1::SweepSpec& s = r.spec;
  EXPECT_EQ(s.name(), "full");
  ASSERT_EQ(s.sizes_size(), 2);
  EXPECT_EQ(s.sizes(0).name(), "ref");
  EXPECT_TRUE(s.sizes(0).reference_only());
  const augur::v1::ModelShape& ref = s.sizes(0).shape();  // Family values fill the size.
  EXPECT_EQ(ref.width(), 32);
  EXPECT_EQ(ref.depth(), 3);
  EXPECT_EQ(ref.heads(), 2);
  EXPECT_EQ(ref.context_tokens(), 64);
  EXPECT_EQ(ref.vocab_size(), 300);
  EXPECT_EQ(ref.base_width(), 32);
  EXPECT_DOUBLE_EQ(ref.mlp_ratio(), 2.5);
  const augur::v1::ModelShape& big = s.sizes(1).shape();  // Own values win.
  EXPECT_FALSE(s.sizes(1).reference_only());
  EXPECT_EQ(big.width(), 128);
  EXPECT_EQ(big.depth(), 4);
  EXPECT_EQ(big.heads(), 8);
  EXPECT_EQ(big.context_tokens(), 256);
  EXPECT_EQ(big.vocab_size(), 512);
  EXPECT_EQ(big.base_width(), 16);
  EXPECT_DOUBLE_EQ(big.mlp_ratio(), 4.0);
  EXPECT_EQ(s.data().path(), (dir_ / "data" / "corpus.txt").lexically_normal().string());
  EXPECT_EQ(s.data().format(), augur::v1::DataSource::FORMAT_TEXT_BYTES);
  EXPECT_DOUBLE_EQ(s.data().validation_fraction(), 0.2);
  EXPECT_EQ(s.data().data_seed(), 9u);
  EXPECT_DOUBLE_EQ(s.tokens_per_param(), 40);
  EXPECT_EQ(s.schedule().shape(), augur::v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY);
  EXPECT_DOUBLE_EQ(s.schedule().warmup_fraction(), 0.05);
  EXPECT_DOUBLE_EQ(s.schedule().decay_fraction(), 0.3);
  EXPECT_DOUBLE_EQ(s.schedule().final_lr_fraction(), 0.1);
  EXPECT_DOUBLE_EQ(s.optimizer().peak_lr(), 0.01);
  EXPECT_DOUBLE_EQ(s.optimizer().weight_decay(), 0.05);
  EXPECT_DOUBLE_EQ(s.optimizer().tau(), 0);
  EXPECT_DOUBLE_EQ(s.optimizer().beta1(), 0.8);
  EXPECT_DOUBLE_EQ(s.optimizer().beta2(), 0.99);
  EXPECT_DOUBLE_EQ(s.optimizer().epsilon(), 1e-6);
  EXPECT_DOUBLE_EQ(s.optimizer().grad_clip_norm(), 0);  // Explicit 0 (off) is kept.
  EXPECT_EQ(s.batch_sequences(), 16);
  EXPECT_EQ(s.search().method(), augur::v1::SEARCH_METHOD_SOBOL);
  EXPECT_EQ(s.search().trials(), 7);
  EXPECT_EQ(s.search().sample_seed(), 11u);
  ASSERT_EQ(s.search().dimensions_size(), 2);
  const augur::v1::SearchDimension& lr = s.search().dimensions(0);
  EXPECT_EQ(lr.parameter(), augur::v1::SEARCH_PARAMETER_PEAK_LR);
  EXPECT_DOUBLE_EQ(lr.min(), 1e-4);
  EXPECT_DOUBLE_EQ(lr.max(), 1e-2);
  EXPECT_TRUE(lr.log_scale());
  EXPECT_EQ(lr.grid_points(), 0);  // Not a grid.
  const augur::v1::SearchDimension& batch = s.search().dimensions(1);
  EXPECT_EQ(batch.parameter(), augur::v1::SEARCH_PARAMETER_BATCH_SEQUENCES);
  EXPECT_THAT(batch.values(), ElementsAre(8, 16));
  EXPECT_EQ(s.policy().kind(), augur::v1::POLICY_KIND_COLLAPSE);
  EXPECT_THAT(s.policy().milestone_fractions(), ElementsAre(0.25, 0.5));
  EXPECT_EQ(s.policy().keep_top(), 2);
  EXPECT_EQ(s.policy().model_path(), (dir_ / "model.json").lexically_normal().string());
  EXPECT_EQ(s.policy().model_json(), model_json_);  // Embedded: the scheduler opens no path.
  EXPECT_DOUBLE_EQ(s.policy().reference_width_ratio(), 0.25);
  EXPECT_FALSE(s.policy().use_interval());
  EXPECT_EQ(s.resources().gpus(), 2);
  EXPECT_EQ(s.resources().cpu_threads(), 3);
  EXPECT_THAT(s.seeds(), ElementsAre(1, 2));
  EXPECT_EQ(s.eval_interval_steps(), 7);
  EXPECT_EQ(s.eval_sequences(), 5);
  EXPECT_EQ(s.checkpoint_interval_steps(), 0);
  EXPECT_EQ(s.source_yaml(), yaml);
}

TEST_F(SpecTest, DefaultsAreFilled) {
  SpecParseResult r = Parse(kMinimal);
  ASSERT_TRUE(r.ok()) << r.ErrorText("sweep.yaml");
  const augur::v1::SweepSpec& s = r.spec;
  EXPECT_EQ(s.sizes(0).name(), "w64");
  EXPECT_EQ(s.sizes(0).shape().vocab_size(), 256);
  EXPECT_EQ(s.sizes(0).shape().base_width(), 64);
  EXPECT_DOUBLE_EQ(s.sizes(0).shape().mlp_ratio(), 4.0);
  EXPECT_EQ(s.data().format(), augur::v1::DataSource::FORMAT_TEXT_BYTES);
  EXPECT_DOUBLE_EQ(s.data().validation_fraction(), 0.05);
  EXPECT_EQ(s.data().data_seed(), 0u);
  EXPECT_DOUBLE_EQ(s.tokens_per_param(), 20);
  EXPECT_EQ(s.schedule().shape(), augur::v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  EXPECT_DOUBLE_EQ(s.schedule().warmup_fraction(), 0.1);
  EXPECT_DOUBLE_EQ(s.optimizer().weight_decay(), 0.1);
  EXPECT_DOUBLE_EQ(s.optimizer().beta1(), 0.9);
  EXPECT_DOUBLE_EQ(s.optimizer().beta2(), 0.95);
  EXPECT_DOUBLE_EQ(s.optimizer().epsilon(), 1e-8);
  EXPECT_DOUBLE_EQ(s.optimizer().grad_clip_norm(), 1.0);
  EXPECT_EQ(s.batch_sequences(), 32);
  EXPECT_EQ(s.search().method(), augur::v1::SEARCH_METHOD_GRID);
  // No search: one point at optimizer.lr (docs/spec.md), as a one-value lr dimension.
  ASSERT_EQ(s.search().dimensions_size(), 1);
  EXPECT_EQ(s.search().dimensions(0).parameter(), augur::v1::SEARCH_PARAMETER_PEAK_LR);
  EXPECT_THAT(s.search().dimensions(0).values(), ElementsAre(s.optimizer().peak_lr()));
  EXPECT_EQ(s.policy().kind(), augur::v1::POLICY_KIND_COLLAPSE);
  EXPECT_THAT(s.policy().milestone_fractions(), ElementsAre(0.1, 0.15));
  EXPECT_EQ(s.policy().keep_top(), 1);
  EXPECT_DOUBLE_EQ(s.policy().reference_width_ratio(), 0.5);
  EXPECT_TRUE(s.policy().use_interval());
  EXPECT_DOUBLE_EQ(s.policy().tolerance(), 0.001);
  EXPECT_DOUBLE_EQ(s.policy().risk(), 0.05);
  EXPECT_FALSE(s.policy().asynchronous());
  EXPECT_THAT(s.seeds(), ElementsAre(0));
  EXPECT_EQ(s.eval_interval_steps(), 100);
  EXPECT_EQ(s.eval_sequences(), 32);
  EXPECT_EQ(s.checkpoint_interval_steps(), 250);
}

TEST_F(SpecTest, PolicyDefaultsDependOnKind) {
  SpecParseResult asha = Parse(std::string(kMinimal) + "policy: {kind: asha}\n");
  ASSERT_TRUE(asha.ok()) << asha.ErrorText("f");
  EXPECT_DOUBLE_EQ(asha.spec.policy().reduction_factor(), 4);
  EXPECT_DOUBLE_EQ(asha.spec.policy().grace_fraction(), 0.01);
  EXPECT_THAT(asha.spec.policy().milestone_fractions(), ElementsAre(0.01, 0.04, 0.16, 0.64));
  EXPECT_EQ(asha.spec.policy().keep_top(), 0);

  SpecParseResult top = Parse(std::string(kMinimal) + "policy: {kind: top_k, keep_top: 1}\n");
  ASSERT_TRUE(top.ok()) << top.ErrorText("f");
  EXPECT_THAT(top.spec.policy().milestone_fractions(), ElementsAre(0.2));

  SpecParseResult none = Parse(std::string(kMinimal) + "policy: {kind: none}\n");
  ASSERT_TRUE(none.ok()) << none.ErrorText("f");
  EXPECT_EQ(none.spec.policy().milestone_fractions_size(), 0);
}

TEST_F(SpecTest, GridRangeGetsThreePointsAndShardFormatIsInferred) {
  SpecParseResult r = Parse(R"(name: t
model: {vocab: 50304, sizes: [{width: 64, depth: 2, heads: 4, context: 128}]}
data: {path: data/tokens.bin}
search:
  parameters:
    tau: {min: 0.05, max: 0.4, log: true}
    lr: 0.002
)");
  ASSERT_TRUE(r.ok()) << r.ErrorText("f");
  EXPECT_EQ(r.spec.data().format(), augur::v1::DataSource::FORMAT_UINT16_SHARD);
  ASSERT_EQ(r.spec.search().dimensions_size(), 2);
  EXPECT_EQ(r.spec.search().dimensions(0).parameter(), augur::v1::SEARCH_PARAMETER_TAU);
  EXPECT_EQ(r.spec.search().dimensions(0).grid_points(), 3);
  EXPECT_THAT(r.spec.search().dimensions(1).values(), ElementsAre(0.002));
  EXPECT_DOUBLE_EQ(r.spec.optimizer().weight_decay(), 0);  // tau decides it.
}

TEST_F(SpecTest, UnknownKeysGetSuggestionsAtTheirPosition) {
  std::string yaml = kMinimal;
  yaml += "schedule:\n  warmup_fracton: 0.2\nsearch:\n  parameters:\n    lr: {mn: 1, max: 2}\n";
  EXPECT_THAT(Errors(yaml),
              ElementsAre("10:3: schedule.warmup_fracton: unknown key `warmup_fracton`; did you "
                          "mean `warmup_fraction`?",
                          "13:10: search.parameters.lr.mn: unknown key `mn`; did you mean `min`?",
                          "13:9: search.parameters.lr.min: missing; a range needs both min and "
                          "max"));
}

TEST_F(SpecTest, MisplacedKeysSayWhereTheyBelong) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "tau: 0.2\nsearch: {tau: [0.1]}\n"),
              ElementsAre("9:1: tau: unknown key `tau` here; it belongs at `optimizer.tau`",
                          "10:10: search.tau: unknown key `tau` here; it belongs at "
                          "`search.parameters.tau`"));
}

TEST_F(SpecTest, APolicyModelMustBeAFittedModel) {
  const auto errors = Errors(std::string(kMinimal) + "policy: {model: not_a_model.json}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("policy.model: "));
  EXPECT_THAT(errors[0], HasSubstr("not_a_model.json is not a fitted predictor model"));
  EXPECT_THAT(errors[0], HasSubstr("augur-predict fit"));
}

TEST_F(SpecTest, ScheduleFieldsMustFitTheShape) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "schedule: {decay_fraction: 0.2}\n"),
              ElementsAre("9:28: schedule.decay_fraction: is not used by this shape (only wsd); "
                          "remove it"));
  EXPECT_THAT(Errors(std::string(kMinimal) +
                     "schedule: {shape: wsd, warmup_fraction: 0.5, decay_fraction: 0.6}\n"),
              ElementsAre("9:62: schedule.decay_fraction: got 0.6, expected at most 1 - "
                          "warmup_fraction = 0.5"));
}

TEST_F(SpecTest, ScheduleShapesTakeOldNamesButNoTable) {
  const std::pair<const char*, augur::v1::ScheduleShape> names[] = {
      {"linear_decay", augur::v1::SCHEDULE_SHAPE_LINEAR_DECAY},
      {"d2z", augur::v1::SCHEDULE_SHAPE_LINEAR_DECAY},
      {"linear", augur::v1::SCHEDULE_SHAPE_LINEAR_DECAY},
      {"cosine", augur::v1::SCHEDULE_SHAPE_COSINE},
      {"constant", augur::v1::SCHEDULE_SHAPE_CONSTANT},
      {"wsd", augur::v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY},
      {"warmup_stable_decay", augur::v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY}};
  for (const auto& [name, wire] : names) {
    SpecParseResult r = Parse(std::string(kMinimal) + "schedule: {shape: " + name + "}\n");
    ASSERT_TRUE(r.ok()) << name << ": " << r.ErrorText("sweep.yaml");
    EXPECT_EQ(r.spec.schedule().shape(), wire) << name;
  }
  EXPECT_THAT(Errors(std::string(kMinimal) + "schedule: {shape: tabulated}\n"),
              ElementsAre("9:19: schedule.shape: got `tabulated`, expected linear_decay, cosine, "
                          "constant or wsd"));
}

TEST_F(SpecTest, ShardsNeedAVocabulary) {
  std::string yaml = kMinimal;
  yaml.replace(yaml.find("corpus.txt"), 10, "tokens.bin");
  EXPECT_THAT(Errors(yaml), ElementsAre("3:3: model.vocab: missing; a uint16 shard needs the "
                                        "tokenizer's vocabulary size"));
}

TEST_F(SpecTest, TypeErrorsNameFieldValueAndExpectation) {
  EXPECT_THAT(Errors(R"(name: t
model:
  sizes:
    - {width: wide, depth: 2.5, heads: 4, context: 128}
data: {path: data/corpus.txt, format: csv}
optimizer: {lr: fast, betas: [0.9]}
)"),
              ElementsAre("4:15: model.sizes[0].width: got `wide`, expected an integer",
                          "4:28: model.sizes[0].depth: got `2.5`, expected an integer",
                          "5:39: data.format: got `csv`, expected text or uint16",
                          "6:17: optimizer.lr: got `fast`, expected a finite number",
                          "6:30: optimizer.betas: got 1 values, expected [beta1, beta2]"));
}

TEST_F(SpecTest, SemanticErrorsAreAllReportedInOnePass) {
  EXPECT_THAT(
      Errors(R"(name: t
model:
  sizes:
    - {width: 60, depth: 2, heads: 8, context: 128}
data: {path: data/missing.txt}
tokens_per_param: 0
optimizer: {lr: -1}
search:
  parameters:
    lr: {min: 0.1, max: 0.01}
    tau: {min: 0, max: 1, log: true}
    weight_decay: [0.1, 0.1]
policy:
  milestones: [0.3, 0.2, 1.5]
)"),
      ElementsAre("5:14: data.path: got `data/missing.txt`, but " +
                      (dir_ / "data/missing.txt").lexically_normal().string() + " does not exist",
                  "4:36: model.sizes[0].heads: got 8, expected a divisor of width 60",
                  "6:19: tokens_per_param: got 0, expected > 0",
                  "10:15: search.parameters.lr.min: got 0.1, expected less than max (0.01)",
                  "11:16: search.parameters.tau.min: got 0, expected > 0",
                  "12:25: search.parameters.weight_decay[1]: got 0.1 twice; expected distinct "
                  "values",
                  "7:17: optimizer.lr: got -1, expected > 0",
                  "11:10: search.parameters.tau: tau and weight_decay are both searched; tau "
                  "determines weight decay, so search one of them",
                  "14:21: policy.milestones[1]: got 0.2, expected greater than the previous "
                  "milestone 0.3 (ascending order)",
                  "14:26: policy.milestones[2]: got 1.5, expected a training fraction in (0, 1)"));
}

TEST_F(SpecTest, TauConflictsWithAFixedWeightDecay) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "  weight_decay: 0.1\n  tau: 0.2\n"),
              ElementsAre("10:8: optimizer.tau: conflicts with optimizer.weight_decay; tau "
                          "determines weight decay, so give only one of them"));
}

TEST_F(SpecTest, FieldsOfOtherPolicyKindsAndMethodsAreRejected) {
  EXPECT_THAT(
      Errors(std::string(kMinimal) +
             "search: {trials: 5, parameters: {lr: {min: 0.001, max: 0.01, points: 1}}}\n"
             "policy: {kind: median, reduction_factor: 3, keep_top: 2}\n"),
      ElementsAre("9:18: search.trials: is not used by grid search (only random, sobol); remove it",
                  "9:70: search.parameters.lr.points: got 1, expected >= 2 grid points",
                  "10:55: policy.keep_top: is not used by this policy kind (only collapse, top_k, "
                  "extrapolation); remove it",
                  "10:42: policy.reduction_factor: is not used by this policy kind (only asha); "
                  "remove it"));
}

TEST_F(SpecTest, RandomSearchNeedsTrials) {
  EXPECT_THAT(
      Errors(std::string(kMinimal) + "search: {method: random, parameters: {lr: [1, 2]}}\n"),
      ElementsAre("9:9: search.trials: missing; random and sobol search need a number of "
                  "trials"));
}

TEST_F(SpecTest, SyntaxErrorHasPosition) {
  std::vector<std::string> errors = Errors("name: t\nmodel: [1, 2\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("YAML syntax error"));
  EXPECT_EQ(errors[0].substr(0, 2), "3:");
}

TEST_F(SpecTest, MissingRequiredSectionsAreReported) {
  EXPECT_THAT(Errors("seeds: []\n"),
              ElementsAre("1:1: name: missing; expected a non-empty sweep name",
                          "1:1: data.path: missing; expected the training data file (text or .bin "
                          "shard) or data.corpus",
                          "1:1: model.sizes: missing; expected a list of at least one model size",
                          "1:1: optimizer.lr: missing; expected a peak learning rate (or search "
                          "over lr)",
                          "1:8: seeds: got an empty list, expected at least one seed"));
}

constexpr char kCorpus[] = R"(name: c
model: {sizes: [{width: 64, depth: 2, heads: 4, context: 128}]}
optimizer: {lr: 0.01}
)";

TEST_F(SpecTest, NamedCorpusLeavesThePathToTheWorker) {
  options_.check_paths = false;  // Whether bible-kjv-text is installed here does not matter.
  SpecParseResult r = Parse(std::string(kCorpus) + "data: {corpus: kjv}\n");
  ASSERT_TRUE(r.ok()) << r.ErrorText("f");
  EXPECT_EQ(r.spec.data().path(), "");
  EXPECT_EQ(r.spec.data().format(), augur::v1::DataSource::FORMAT_TEXT_BYTES);
  EXPECT_THAT(Errors(std::string(kCorpus) + "data: {corpus: wiki}\n"),
              ElementsAre("4:16: data.corpus: got `wiki`, expected kjv"));
  EXPECT_THAT(Errors(std::string(kCorpus) + "data: {path: data/corpus.txt, corpus: kjv}\n"),
              ElementsAre("4:39: data.corpus: conflicts with data.path; give one of them"));
}

TEST_F(SpecTest, NamedCorpusNeedsTheDebianPackageWhenPathsAreChecked) {
  std::vector<std::string> errors = Errors(std::string(kCorpus) + "data: {corpus: kjv}\n");
  if (fs::exists("/usr/lib/bible.data")) {
    EXPECT_THAT(errors, ElementsAre());
  } else {
    EXPECT_THAT(errors, ElementsAre(HasSubstr("/usr/lib/bible.data does not exist")));
  }
}

TEST_F(SpecTest, PathChecksCanBeTurnedOff) {
  options_.check_paths = false;
  std::string yaml = kMinimal;
  yaml.replace(yaml.find("corpus.txt"), 10, "on_worker.txt");
  SpecParseResult r = Parse(yaml);
  ASSERT_TRUE(r.ok()) << r.ErrorText("f");
  EXPECT_EQ(r.spec.data().path(), (dir_ / "data/on_worker.txt").lexically_normal().string());
}

TEST_F(SpecTest, StatusApiJoinsErrorsOnePerLine) {
  absl::StatusOr<augur::v1::SweepSpec> spec =
      ParseSweepSpec("name: t\ntokens_per_param: -1\nbogus: 1\n", options_);
  ASSERT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> lines = absl::StrSplit(spec.status().message(), '\n');
  EXPECT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "sweep.yaml:3:1: bogus: unknown key `bogus`; expected one of name, model, "
            "data, tokens_per_param, schedule, optimizer, batch_sequences, search, "
            "policy, resources, seeds, eval_interval_steps, eval_sequences, "
            "checkpoint_interval_steps");
}

TEST_F(SpecTest, LoadResolvesPathsAgainstTheSpecFolder) {
  std::ofstream(dir_ / "sweep.yaml") << kMinimal;
  absl::StatusOr<augur::v1::SweepSpec> spec = LoadSweepSpec(dir_ / "sweep.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->data().path(), (dir_ / "data/corpus.txt").lexically_normal().string());
  EXPECT_EQ(LoadSweepSpec(dir_ / "nope.yaml").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadSweepSpec(dir_).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace augur::cli
