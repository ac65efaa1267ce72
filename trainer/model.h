// The GPT of common/model_params.h as LibTorch tensors, with muP (param_layout.h).
//
// All parameters are views into one flat float tensor, and their gradients views into a second
// one, so the optimizer, the data-parallel all-reduce and checkpoints each see one buffer.
// Internal to trainer/: this header pulls in ATen; nothing outside trainer/ includes it.
// Not thread-safe; one model per training thread.
#ifndef AUGUR_TRAINER_MODEL_H_
#define AUGUR_TRAINER_MODEL_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/model_params.h"
#include "trainer/param_layout.h"

namespace augur::trainer {

// Root-mean-square of named activations, for the muP coordinate check.
struct ActivationStats {
  std::vector<std::pair<std::string, double>> rms;
};

class GptModel {
 public:
  GptModel(const GptShape& shape, int64_t base_width, at::Device device);
  GptModel(const GptModel&) = delete;
  GptModel& operator=(const GptModel&) = delete;

  const GptShape& shape() const { return shape_; }
  const ParamLayout& layout() const { return layout_; }
  at::Device device() const { return flat_params_.device(); }

  // Draws every parameter from the counter-based RNG under `seed` (param_layout.h stds).
  void Initialize(uint64_t seed);

  // tokens: [B, T + 1] int64 on device(), T <= context_tokens. Mean next-token cross-entropy
  // (nats) as a scalar with a graph. Records activation RMS into `stats` when given.
  at::Tensor Loss(const at::Tensor& tokens, ActivationStats* stats = nullptr);

  at::Tensor& flat_params() { return flat_params_; }
  // numel() == layout().total_numel + 2: two spare elements ride the gradient all-reduce, the
  // step's loss and a stop request (trainer.cc).
  at::Tensor& flat_grads() { return flat_grads_; }
  void ZeroGrads() { flat_grads_.zero_(); }
  // Sum of numel over the module's parameter tensors (for the count test).
  int64_t CountParameterElements() const;

 private:
  const at::Tensor& P(size_t i) const { return params_[i]; }

  GptShape shape_;
  ParamLayout layout_;
  at::Tensor flat_params_;
  at::Tensor flat_grads_;
  std::vector<at::Tensor> params_;  // In layout order, views of flat_params_.
  at::Tensor causal_mask_;          // [context, context], 0 on/below the diagonal, -inf above.
};

// Causal self-attention on a fused projection qkv [B, T, 3C] -> [B, T, C] with its own backward
// (attention.cc). Queries are processed `block` rows at a time so that key blocks above the
// diagonal are skipped. `causal_mask` is [>= T, >= T], 0 on/below the diagonal, -inf above.
inline constexpr int64_t kAttentionBlock = 64;
at::Tensor CausalSelfAttention(const at::Tensor& qkv, int64_t heads, double scale,
                               const at::Tensor& causal_mask, int64_t block = kAttentionBlock);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_MODEL_H_
