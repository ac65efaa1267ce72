// The AdamW update of adamw.h as ATen tensor ops, for parameters on a device (CUDA) where the
// fused host loop cannot run. Same arithmetic; model_test checks the two agree.
#ifndef AUGUR_TRAINER_ADAMW_TENSOR_H_
#define AUGUR_TRAINER_ADAMW_TENSOR_H_

#include <ATen/ATen.h>

#include <cmath>

#include "trainer/adamw.h"

namespace augur::trainer {

// p, m, v: float tensors of one shape, updated in place; g: the gradient (not modified).
inline void AdamWTensorUpdate(const AdamWStepParams& h, at::Tensor p, const at::Tensor& grad,
                              at::Tensor m, at::Tensor v) {
  const at::Tensor g = grad * h.grad_scale;
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  p.mul_(1.0 - static_cast<double>(h.lr) * h.weight_decay);
  m.mul_(h.beta1).add_(g, 1.0 - h.beta1);
  v.mul_(h.beta2).addcmul_(g, g, 1.0 - h.beta2);
  p.addcdiv_(m, (v.sqrt() / std::sqrt(bc2)).add_(h.epsilon), -static_cast<double>(h.lr) / bc1);
}

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_ADAMW_TENSOR_H_
