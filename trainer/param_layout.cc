#include "trainer/param_layout.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "trainer/check.h"

namespace augur::trainer {
namespace {

class Builder {
 public:
  explicit Builder(ParamLayout* layout) : layout_(layout) {}

  void Add(std::string name, ParamKind kind, std::vector<int64_t> shape, double init_std,
           double lr_multiplier) {
    ParamSpec p;
    p.name = std::move(name);
    p.kind = kind;
    p.shape = std::move(shape);
    p.numel = 1;
    for (int64_t d : p.shape) p.numel *= d;
    p.offset = layout_->total_numel;
    p.init_std = init_std;
    p.lr_multiplier = lr_multiplier;
    p.weight_decay = kind != ParamKind::kNormWeight && kind != ParamKind::kNormBias;
    p.init_constant = kind == ParamKind::kNormWeight ? 1.0 : 0.0;
    p.embedding = kind == ParamKind::kTokenEmbedding || kind == ParamKind::kPositionEmbedding ||
                  kind == ParamKind::kOutputHead;
    layout_->total_numel += p.numel;
    if (!p.embedding) layout_->non_embedding_numel += p.numel;
    layout_->params.push_back(std::move(p));
  }

  void AddNorm(const std::string& prefix, int64_t width) {
    Add(prefix + ".weight", ParamKind::kNormWeight, {width}, 0.0, 1.0);
    Add(prefix + ".bias", ParamKind::kNormBias, {width}, 0.0, 1.0);
  }

 private:
  ParamLayout* layout_;
};

}  // namespace

ParamLayout MakeParamLayout(const GptShape& s, int64_t base_width) {
  AUGUR_CHECK(s.width > 0 && s.heads > 0 && s.width % s.heads == 0,
              "width must be a positive multiple of heads");
  if (base_width <= 0) base_width = s.width;
  ParamLayout layout;
  const double m = static_cast<double>(s.width) / static_cast<double>(base_width);
  layout.width_multiplier = m;
  layout.output_multiplier = 1.0 / m;
  const double d_head = static_cast<double>(s.width / s.heads);
  const double d_head_base = static_cast<double>(base_width) / static_cast<double>(s.heads);
  layout.attention_scale = std::sqrt(d_head_base) / d_head;

  const double sigma = kBaseInitStd;
  const double hidden_std = sigma / std::sqrt(m);
  const double residual_std = hidden_std / std::sqrt(2.0 * static_cast<double>(s.depth));
  const double hidden_lr = 1.0 / m;
  const int64_t w = s.width;
  const int64_t mlp = s.mlp_width();

  Builder b(&layout);
  b.Add("tok_emb.weight", ParamKind::kTokenEmbedding, {s.vocab_size, w}, sigma, 1.0);
  b.Add("pos_emb.weight", ParamKind::kPositionEmbedding, {s.context_tokens, w}, sigma, 1.0);
  for (int64_t i = 0; i < s.depth; ++i) {
    const std::string p = absl::StrCat("blocks.", i);
    b.AddNorm(p + ".ln1", w);
    b.Add(p + ".attn.qkv.weight", ParamKind::kHidden, {3 * w, w}, hidden_std, hidden_lr);
    b.Add(p + ".attn.proj.weight", ParamKind::kHidden, {w, w}, residual_std, hidden_lr);
    b.AddNorm(p + ".ln2", w);
    b.Add(p + ".mlp.up.weight", ParamKind::kHidden, {mlp, w}, hidden_std, hidden_lr);
    b.Add(p + ".mlp.down.weight", ParamKind::kHidden, {w, mlp}, residual_std, hidden_lr);
  }
  b.AddNorm("ln_f", w);
  b.Add("head.weight", ParamKind::kOutputHead, {s.vocab_size, w}, sigma, 1.0);
  return layout;
}

}  // namespace augur::trainer
