#include "trainer/param_layout.h"

#include <cmath>

#include "gtest/gtest.h"

namespace augur::trainer {
namespace {

TEST(ParamLayoutTest, CountsMatchCommonFormula) {
  for (GptShape s :
       {GptShape{.width = 32, .depth = 2, .heads = 2, .context_tokens = 64},
        GptShape{.width = 96,
        .depth = 3,
        .heads = 3,
        .context_tokens = 17,
        .vocab_size = 1000,
        .mlp_ratio = 2.5},
        GptShape{
            .width = 768, .depth = 12, .heads = 12, .context_tokens = 1024, .vocab_size = 50304}}) {
    const ParamLayout l = MakeParamLayout(s, 0);
    const GptParamCount c = CountGptParams(s);
    EXPECT_EQ(l.total_numel, c.total);
    EXPECT_EQ(l.non_embedding_numel, c.non_embedding);
    int64_t offset = 0;
    for (const ParamSpec& p : l.params) {
      EXPECT_EQ(p.offset, offset) << p.name;
      offset += p.numel;
    }
  }
}

TEST(ParamLayoutTest, MupMultipliersScaleWithWidth) {
  const GptShape s{.width = 256, .depth = 2, .heads = 4, .context_tokens = 64};
  const ParamLayout base =
      MakeParamLayout({.width = 64, .depth = 2, .heads = 4, .context_tokens = 64}, 64);
  const ParamLayout l = MakeParamLayout(s, 64);  // m = 4.
  EXPECT_DOUBLE_EQ(l.width_multiplier, 4.0);
  EXPECT_DOUBLE_EQ(l.output_multiplier, 0.25);
  // 1/sqrt(d_head) at base width, sqrt(d_base)/d_head above it (1/d scaling).
  EXPECT_DOUBLE_EQ(base.attention_scale, 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(l.attention_scale, 4.0 / 64.0);
  for (size_t i = 0; i < l.params.size(); ++i) {
    const ParamSpec& p = l.params[i];
    const ParamSpec& b = base.params[i];
    switch (p.kind) {
      case ParamKind::kHidden:
        EXPECT_DOUBLE_EQ(p.lr_multiplier, 0.25) << p.name;
        EXPECT_NEAR(p.init_std, b.init_std / 2.0, 1e-15) << p.name;
        EXPECT_TRUE(p.weight_decay);
        break;
      case ParamKind::kNormWeight:
      case ParamKind::kNormBias:
        EXPECT_DOUBLE_EQ(p.lr_multiplier, 1.0);
        EXPECT_FALSE(p.weight_decay) << p.name;
        break;
      default:
        EXPECT_DOUBLE_EQ(p.lr_multiplier, 1.0) << p.name;
        EXPECT_DOUBLE_EQ(p.init_std, b.init_std) << p.name;
    }
  }
}

}  // namespace
}  // namespace augur::trainer
