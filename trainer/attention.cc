// Causal self-attention with a hand-written backward.
//
// LibTorch 1.13 has no fused attention, and the plain composition (matmul, scale, masked_fill,
// softmax, matmul) makes autograd keep and re-traverse several [B*H, T, T] tensors and compute
// the masked upper triangle in full. Here queries are processed in blocks of `block` rows: block
// i attends only to keys [0, end of block i), so the matmuls skip the blocks above the diagonal
// (for 4 blocks, 10 of 16 tiles are computed). Scale and mask are folded into one baddbmm, the
// softmax output is the only [.., T, T]-sized tensor saved, and the backward reuses it.
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "trainer/model.h"

namespace augur::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Tile {
  int64_t row, rows, keys;  // Query rows [row, row + rows) see keys [0, keys).
};

std::vector<Tile> Tiles(int64_t t, int64_t block) {
  std::vector<Tile> tiles;
  for (int64_t r = 0; r < t; r += block) {
    const int64_t rows = std::min(block, t - r);
    tiles.push_back({r, rows, r + rows});
  }
  return tiles;
}

class CausalAttentionFunction : public torch::autograd::Function<CausalAttentionFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& qkv, int64_t heads,
                            double scale, const at::Tensor& mask, int64_t block) {
    const int64_t b = qkv.size(0), t = qkv.size(1), c = qkv.size(2) / 3, d = c / heads;
    // One copy splits heads: [3, B*H, T, D].
    const at::Tensor packed = qkv.view({b, t, 3, heads, d})
                                  .permute({2, 0, 3, 1, 4})
                                  .contiguous()
                                  .view({3, b * heads, t, d});
    const at::Tensor q = packed[0], k = packed[1], v = packed[2];
    at::Tensor y = at::empty({b * heads, t, d}, qkv.options());
    std::vector<at::Tensor> saved = {packed};
    for (const Tile& tile : Tiles(t, block)) {
      const at::Tensor qi = q.narrow(1, tile.row, tile.rows);
      const at::Tensor kk = k.narrow(1, 0, tile.keys);
      const at::Tensor mi = mask.narrow(0, tile.row, tile.rows).narrow(1, 0, tile.keys);
      const at::Tensor scores = at::baddbmm(mi, qi, kk.transpose(1, 2), 1.0, scale);
      const at::Tensor probs = at::_softmax(scores, -1, false);  // BH, rows, keys
      y.narrow(1, tile.row, tile.rows).copy_(at::bmm(probs, v.narrow(1, 0, tile.keys)));
      saved.push_back(probs);
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["block"] = block;
    return y.view({b, heads, t, d}).permute({0, 2, 1, 3}).reshape({b, t, c});
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& packed = saved[0];
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t block = ctx->saved_data["block"].toInt();
    const int64_t bh = packed.size(1), t = packed.size(2), d = packed.size(3);
    const int64_t b = bh / heads, c = heads * d;
    const at::Tensor q = packed[0], k = packed[1], v = packed[2];
    const at::Tensor gy =
        grad_outputs[0].view({b, t, heads, d}).permute({0, 2, 1, 3}).reshape({bh, t, d});
    at::Tensor dpacked = at::zeros_like(packed);
    at::Tensor dq = dpacked[0], dk = dpacked[1], dv = dpacked[2];
    const std::vector<Tile> tiles = Tiles(t, block);
    for (size_t i = 0; i < tiles.size(); ++i) {
      const Tile& tile = tiles[i];
      const at::Tensor& probs = saved[i + 1];
      const at::Tensor gyi = gy.narrow(1, tile.row, tile.rows);
      const at::Tensor qi = q.narrow(1, tile.row, tile.rows);
      const at::Tensor kk = k.narrow(1, 0, tile.keys);
      dv.narrow(1, 0, tile.keys).add_(at::bmm(probs.transpose(1, 2), gyi));
      const at::Tensor dprobs = at::bmm(gyi, v.narrow(1, 0, tile.keys).transpose(1, 2));
      const at::Tensor dscores = at::_softmax_backward_data(dprobs, probs, -1, probs.scalar_type());
      dq.narrow(1, tile.row, tile.rows).copy_(at::bmm(dscores, kk)).mul_(scale);
      dk.narrow(1, 0, tile.keys).add_(at::bmm(dscores.transpose(1, 2), qi), scale);
    }
    at::Tensor dqkv =
        dpacked.view({3, b, heads, t, d}).permute({1, 3, 0, 2, 4}).reshape({b, t, 3 * c});
    return {dqkv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor CausalSelfAttention(const at::Tensor& qkv, int64_t heads, double scale,
                               const at::Tensor& causal_mask, int64_t block) {
  return CausalAttentionFunction::apply(qkv, heads, scale, causal_mask, block);
}

}  // namespace augur::trainer
