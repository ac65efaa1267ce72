// Causal self-attention with a hand-written backward. LibTorch 1.13 has no fused attention; the
// plain composition (matmul, scale, masked_fill, softmax, matmul) makes autograd keep and
// re-traverse several [B*H, T, T] tensors. Here the forward is baddbmm(mask, q, k^T, alpha =
// scale) -> softmax -> bmm, and the backward reuses the saved probabilities only.
#include <torch/csrc/autograd/custom_function.h>

#include "trainer/model.h"

namespace augur::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class CausalAttentionFunction : public torch::autograd::Function<CausalAttentionFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& qkv, int64_t heads,
                            double scale, const at::Tensor& mask) {
    const int64_t b = qkv.size(0), t = qkv.size(1), c = qkv.size(2) / 3, d = c / heads;
    // One copy splits heads: [3, B*H, T, D].
    const at::Tensor packed = qkv.view({b, t, 3, heads, d})
                                  .permute({2, 0, 3, 1, 4})
                                  .contiguous()
                                  .view({3, b * heads, t, d});
    const at::Tensor q = packed[0], k = packed[1], v = packed[2];
    const at::Tensor scores = at::baddbmm(mask, q, k.transpose(1, 2), 1.0, scale);  // BH, T, T
    const at::Tensor probs = at::_softmax(scores, -1, false);
    const at::Tensor y = at::bmm(probs, v);  // BH, T, D
    ctx->save_for_backward({packed, probs});
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = scale;
    return y.view({b, heads, t, d}).permute({0, 2, 1, 3}).reshape({b, t, c});
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& packed = saved[0];
    const at::Tensor& probs = saved[1];
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t bh = packed.size(1), t = packed.size(2), d = packed.size(3);
    const int64_t b = bh / heads, c = heads * d;
    const at::Tensor q = packed[0], k = packed[1], v = packed[2];
    const at::Tensor gy =
        grad_outputs[0].view({b, t, heads, d}).permute({0, 2, 1, 3}).reshape({bh, t, d});
    at::Tensor dpacked = at::empty_like(packed);
    at::Tensor dq = dpacked[0], dk = dpacked[1], dv = dpacked[2];
    at::bmm_out(dv, probs.transpose(1, 2), gy);
    const at::Tensor dprobs = at::bmm(gy, v.transpose(1, 2));  // BH, T, T
    const at::Tensor dscores = at::_softmax_backward_data(dprobs, probs, -1, probs.scalar_type());
    at::bmm_out(dq, dscores, k);
    dq.mul_(scale);
    at::bmm_out(dk, dscores.transpose(1, 2), q);
    dk.mul_(scale);
    at::Tensor dqkv =
        dpacked.view({3, b, heads, t, d}).permute({1, 3, 0, 2, 4}).reshape({b, t, 3 * c});
    return {dqkv, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor CausalSelfAttention(const at::Tensor& qkv, int64_t heads, double scale,
                               const at::Tensor& causal_mask) {
  return CausalAttentionFunction::apply(qkv, heads, scale, causal_mask);
}

}  // namespace augur::trainer
