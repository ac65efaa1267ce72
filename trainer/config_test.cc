#include "trainer/config.h"

#include <limits>

#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

TEST(ConfigTest, TauToWeightDecayRoundTripsWithMupLearningRate) {
  TrialSpec s;
  s.shape = {.width = 256, .depth = 2, .heads = 4, .context_tokens = 64};
  s.base_width = 64;  // m = 4: hidden LR is peak / 4.
  s.optimizer.peak_lr = 8e-3;
  s.optimizer.tau = 0.175;
  s.total_steps = 1000;
  auto r = ResolveTrial(s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->hidden_peak_lr, 2e-3);
  // lambda = 1 / (eta_hidden * tau * T).
  EXPECT_NEAR(r->weight_decay, 1.0 / (2e-3 * 0.175 * 1000), 1e-12);
  EXPECT_NEAR(r->tau, 0.175, 1e-12);
  // And back: giving that weight decay directly implies the same tau.
  s.optimizer.tau = 0;
  s.optimizer.weight_decay = r->weight_decay;
  auto r2 = ResolveTrial(s);
  ASSERT_TRUE(r2.ok());
  EXPECT_NEAR(r2->tau, 0.175, 1e-12);
  // Equivalent form of METHOD.md: lambda = B / (eta * D * tau).
  const double d = static_cast<double>(r->total_steps * r->batch_tokens);
  EXPECT_NEAR(r->weight_decay, r->batch_tokens / (2e-3 * d * 0.175), 1e-12);
}

TEST(ConfigTest, StepsFromTokensPerParameter) {
  TrialSpec s;
  s.shape = {.width = 64, .depth = 2, .heads = 4, .context_tokens = 64};
  s.batch_sequences = 8;
  s.tokens_per_param = 20;
  auto r = ResolveTrial(s);
  ASSERT_TRUE(r.ok());
  const int64_t n = CountGptParams(s.shape).non_embedding;
  EXPECT_EQ(r->batch_tokens, 8 * 64);
  EXPECT_EQ(r->total_steps, static_cast<int64_t>(20.0 * n / (8 * 64) + 0.5));
  EXPECT_NEAR(r->tokens_per_param, 20.0, 20.0 * (8 * 64) / n);
}

// A budget whose steps do not fit an int64 was an undefined conversion (found by fuzzing).
TEST(ConfigTest, ABudgetOfMoreThanATrillionStepsIsRefused) {
  TrialSpec s;
  s.shape = {.width = 64, .depth = 2, .heads = 4, .context_tokens = 64};
  s.batch_sequences = 16;
  for (double tpp : {2e56, 1e12, std::numeric_limits<double>::infinity()}) {
    s.tokens_per_param = tpp;
    auto r = ResolveTrial(s);
    ASSERT_FALSE(r.ok()) << tpp;
    EXPECT_NE(r.status().message().find("more than 10^12 steps"), std::string::npos) << r.status();
  }
}

TEST(ConfigTest, ValidationNamesFieldAndValue) {
  TrialSpec s;
  s.shape.heads = 5;
  auto st = ValidateTrialSpec(s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("model.heads = 5"), std::string::npos) << st;
  s = TrialSpec();
  s.optimizer.tau = 0.1;
  s.optimizer.weight_decay = 0.1;
  EXPECT_FALSE(ValidateTrialSpec(s).ok());
}

TEST(ConfigTest, ScheduleValidation) {
  EXPECT_FALSE(ValidateSchedule({.warmup_fraction = 1.0}).ok());
  EXPECT_FALSE(ValidateSchedule({.shape = ScheduleShape::kWsd, .decay_fraction = 0.0}).ok());
  EXPECT_FALSE(ValidateSchedule({.final_lr_fraction = 1.5}).ok());
  EXPECT_TRUE(ValidateSchedule({}).ok());
  for (ScheduleShape shape : kAllScheduleShapes) {
    EXPECT_EQ(ValidateSchedule({.shape = shape}).ok(), shape != ScheduleShape::kTabulated)
        << ScheduleShapeName(shape);
  }
  const absl::Status tabulated = ValidateSchedule({.shape = ScheduleShape::kTabulated});
  EXPECT_EQ(tabulated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tabulated.message().find("schedule.shape = tabulated"), std::string::npos) << tabulated;
  TrialSpec s;
  s.schedule.shape = ScheduleShape::kTabulated;
  EXPECT_EQ(ValidateTrialSpec(s).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, FromProtoAppliesDefaultsAndFields) {
  augur::v1::TrialConfig p;
  p.mutable_model()->set_width(128);
  p.mutable_model()->set_depth(3);
  p.mutable_model()->set_heads(4);
  p.mutable_model()->set_context_tokens(32);
  p.mutable_model()->set_base_width(64);
  p.mutable_optimizer()->set_peak_lr(0.01);
  p.mutable_optimizer()->set_tau(0.1);
  p.mutable_schedule()->set_shape(augur::v1::SCHEDULE_SHAPE_COSINE);
  p.mutable_data()->set_path("shard.bin");
  p.set_batch_sequences(4);
  p.set_seed(7);
  auto s = TrialSpecFromProto(p);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->shape.width, 128);
  EXPECT_EQ(s->base_width, 64);
  EXPECT_EQ(s->shape.vocab_size, 256);
  EXPECT_EQ(s->schedule.shape, ScheduleShape::kCosine);
  EXPECT_DOUBLE_EQ(s->schedule.warmup_fraction, 0.1);
  EXPECT_EQ(s->data.format, DataFormat::kUint16Shard);
  EXPECT_DOUBLE_EQ(s->optimizer.beta2, 0.95);
  EXPECT_EQ(s->seed, 7u);
  p.mutable_model()->set_heads(3);
  EXPECT_FALSE(TrialSpecFromProto(p).ok());
}

}  // namespace
}  // namespace augur::trainer
