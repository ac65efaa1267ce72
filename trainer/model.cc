#include "trainer/model.h"

#include <ATen/Parallel.h>

#include <limits>

#include "trainer/check.h"
#include "trainer/rng.h"

namespace augur::trainer {
namespace {

double Rms(const at::Tensor& t) {
  return t.detach().to(at::kFloat).pow(2).mean().sqrt().item<double>();
}

}  // namespace

GptModel::GptModel(const GptShape& shape, int64_t base_width, at::Device device)
    : shape_(shape), layout_(MakeParamLayout(shape, base_width)) {
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
  flat_params_ = at::zeros({layout_.total_numel}, opts);
  flat_grads_ = at::zeros({layout_.total_numel + 2}, opts);
  for (const ParamSpec& p : layout_.params) {
    at::Tensor view = flat_params_.narrow(0, p.offset, p.numel).view(p.shape);
    view.requires_grad_(true);
    // Pre-set gradients as views of the flat buffer: autograd then accumulates in place.
    view.mutable_grad() = flat_grads_.narrow(0, p.offset, p.numel).view(p.shape);
    params_.push_back(view);
  }
  const int64_t t = shape.context_tokens;
  causal_mask_ = at::full({t, t}, -std::numeric_limits<float>::infinity(), opts).triu_(1);
}

void GptModel::Initialize(uint64_t seed) {
  at::Tensor host = at::empty({layout_.total_numel}, at::kFloat);
  float* data = host.data_ptr<float>();
  for (size_t i = 0; i < layout_.params.size(); ++i) {
    const ParamSpec& p = layout_.params[i];
    float* dst = data + p.offset;
    if (p.init_std == 0.0) {
      std::fill(dst, dst + p.numel, static_cast<float>(p.init_constant));
      continue;
    }
    at::parallel_for(0, p.numel, 4096, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        dst[j] = static_cast<float>(p.init_std * NormalAt(seed, i, static_cast<uint64_t>(j)));
      }
    });
  }
  at::NoGradGuard no_grad;
  flat_params_.copy_(host);
}

int64_t GptModel::CountParameterElements() const {
  int64_t n = 0;
  for (const at::Tensor& p : params_) n += p.numel();
  return n;
}

at::Tensor GptModel::Loss(const at::Tensor& tokens, ActivationStats* stats) {
  AUGUR_CHECK(tokens.dim() == 2 && tokens.size(1) - 1 <= shape_.context_tokens,
              "tokens must be [B, T + 1] with T <= context_tokens");
  const int64_t b = tokens.size(0), t = tokens.size(1) - 1, c = shape_.width;
  const at::Tensor idx = tokens.narrow(1, 0, t);
  const at::Tensor targets = tokens.narrow(1, 1, t).reshape({b * t});
  size_t i = 0;
  const at::Tensor& tok_emb = P(i++);
  const at::Tensor& pos_emb = P(i++);
  at::Tensor x = at::embedding(tok_emb, idx) + pos_emb.narrow(0, 0, t);  // B, T, C
  if (stats) stats->rms.emplace_back("embed", Rms(x));
  const at::Tensor mask = causal_mask_.narrow(0, 0, t).narrow(1, 0, t);
  for (int64_t layer = 0; layer < shape_.depth; ++layer) {
    const at::Tensor& ln1_w = P(i++);
    const at::Tensor& ln1_b = P(i++);
    const at::Tensor& w_qkv = P(i++);
    const at::Tensor& w_proj = P(i++);
    const at::Tensor& ln2_w = P(i++);
    const at::Tensor& ln2_b = P(i++);
    const at::Tensor& w_up = P(i++);
    const at::Tensor& w_down = P(i++);
    at::Tensor h = at::layer_norm(x, {c}, ln1_w, ln1_b);
    at::Tensor qkv = at::linear(h, w_qkv);  // B, T, 3C
    at::Tensor y = CausalSelfAttention(qkv, shape_.heads, layout_.attention_scale, mask);
    at::Tensor attn_out = at::linear(y, w_proj);
    x = x + attn_out;
    h = at::layer_norm(x, {c}, ln2_w, ln2_b);
    at::Tensor mlp_out = at::linear(at::gelu(at::linear(h, w_up)), w_down);  // B, T, C
    x = x + mlp_out;
    if (stats) {
      stats->rms.emplace_back("block" + std::to_string(layer) + ".attn_out", Rms(attn_out));
      stats->rms.emplace_back("block" + std::to_string(layer) + ".mlp_out", Rms(mlp_out));
      stats->rms.emplace_back("block" + std::to_string(layer) + ".resid", Rms(x));
    }
  }
  const at::Tensor& lnf_w = P(i++);
  const at::Tensor& lnf_b = P(i++);
  const at::Tensor& head = P(i++);
  AUGUR_CHECK(i == params_.size(), "parameter walk does not match the layout");
  x = at::layer_norm(x, {c}, lnf_w, lnf_b);
  // muP readout: logits scaled by 1/m, folded into the (small) head weight.
  const at::Tensor logits = at::linear(x, head * layout_.output_multiplier);  // B, T, V
  if (stats) stats->rms.emplace_back("logits", Rms(logits));
  return at::cross_entropy_loss(logits.view({b * t, shape_.vocab_size}), targets);
}

}  // namespace augur::trainer
