// AdamW with decoupled weight decay over a contiguous span of floats, in one fused pass.
//
// Matches torch.optim.AdamW: p -= lr * wd * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps). `grad_scale` multiplies g first
// (gradient clipping). Pure and thread-safe for disjoint spans; the trainer splits the flat
// buffer across its intra-op threads. No LibTorch.
#ifndef AUGUR_TRAINER_ADAMW_H_
#define AUGUR_TRAINER_ADAMW_H_

#include <cmath>
#include <cstdint>

namespace augur::trainer {

struct AdamWStepParams {
  float lr = 0;            // Scheduled LR for this span (base LR x schedule x muP multiplier).
  float weight_decay = 0;  // 0 for norms and biases.
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float epsilon = 1e-8f;
  int64_t step = 1;  // 1-based update count, for bias correction.
  float grad_scale = 1.0f;
};

inline void AdamWUpdate(const AdamWStepParams& h, int64_t n, float* p, const float* g, float* m,
                        float* v) {
  const float bc1 = 1.0f - std::pow(h.beta1, static_cast<float>(h.step));
  const float bc2_sqrt = std::sqrt(1.0f - std::pow(h.beta2, static_cast<float>(h.step)));
  const float step_size = h.lr / bc1;
  const float decay = 1.0f - h.lr * h.weight_decay;
  const float b1 = h.beta1, b2 = h.beta2, c1 = 1.0f - b1, c2 = 1.0f - b2;
  const float gs = h.grad_scale, eps = h.epsilon;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] * gs;
    const float mi = b1 * m[i] + c1 * gi;
    const float vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - step_size * mi / (std::sqrt(vi) / bc2_sqrt + eps);
  }
}

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_ADAMW_H_
