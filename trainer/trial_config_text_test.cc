#include "trainer/trial_config_text.h"

#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

TEST(TrialConfigTextTest, YamlMirrorsProtoFields) {
  auto f = ParseTrialYaml(R"(
run_id: w64-lr3e-3
model: {width: 64, depth: 2, heads: 4, context_tokens: 64, base_width: 32}
optimizer:
  peak_lr: 3e-3
  tau: 0.175
schedule: {shape: cosine, warmup_fraction: 0.05}
data: {format: text_bytes, data_seed: 3}
batch_sequences: 16
tokens_per_param: 20
)",
                          "trial.yaml");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->run_id, "w64-lr3e-3");
  EXPECT_EQ(f->config.model().base_width(), 32);
  EXPECT_DOUBLE_EQ(f->config.optimizer().peak_lr(), 3e-3);
  EXPECT_EQ(f->config.schedule().shape(), augur::v1::SCHEDULE_SHAPE_COSINE);
  EXPECT_EQ(f->config.data().format(), augur::v1::DataSource::FORMAT_TEXT_BYTES);
  EXPECT_EQ(f->config.data().data_seed(), 3u);
  EXPECT_DOUBLE_EQ(f->config.tokens_per_param(), 20);
}

TEST(TrialConfigTextTest, ErrorsNameFileLineAndField) {
  auto f = ParseTrialYaml("model:\n  width: 64\n  widht: 3\n", "t.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("t.yaml:line 3"), std::string::npos) << f.status();
  EXPECT_NE(f.status().message().find("model.widht"), std::string::npos) << f.status();
  f = ParseTrialYaml("batch_sequences: many\n", "t.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("batch_sequences = 'many'"), std::string::npos);
  f = ParseTrialYaml("schedule: {shape: exponential}\n", "t.yaml");
  EXPECT_FALSE(f.ok());
}

TEST(TrialConfigTextTest, FlagOverridesReachEveryField) {
  augur::v1::TrialConfig c;
  ASSERT_TRUE(SetTrialField(&c, "model.width", "128").ok());
  ASSERT_TRUE(SetTrialField(&c, "schedule.shape", "wsd").ok());
  ASSERT_TRUE(SetTrialField(&c, "resources.cpu_threads", "2").ok());
  EXPECT_EQ(c.model().width(), 128);
  EXPECT_EQ(c.schedule().shape(), augur::v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY);
  for (const char* name : {"d2z", "linear", "LINEAR_DECAY", "SCHEDULE_SHAPE_LINEAR_DECAY"}) {
    ASSERT_TRUE(SetTrialField(&c, "schedule.shape", name).ok()) << name;
    EXPECT_EQ(c.schedule().shape(), augur::v1::SCHEDULE_SHAPE_LINEAR_DECAY) << name;
  }
  ASSERT_TRUE(SetTrialField(&c, "schedule.shape", "warmup_stable_decay").ok());
  EXPECT_EQ(c.schedule().shape(), augur::v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY);
  EXPECT_FALSE(SetTrialField(&c, "schedule.shape", "tabulated").ok());
  EXPECT_EQ(c.resources().cpu_threads(), 2);
  EXPECT_FALSE(SetTrialField(&c, "model.color", "red").ok());
  EXPECT_FALSE(SetTrialField(&c, "model", "1").ok());
  const auto help = TrialFieldHelp();
  EXPECT_NE(std::find(help.begin(), help.end(), "optimizer.tau (double)"), help.end());
}

}  // namespace
}  // namespace augur::trainer
