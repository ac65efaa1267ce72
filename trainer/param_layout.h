// Where each GPT parameter lives in one flat float buffer, and its muP multipliers.
//
// The trainer keeps all parameters (and gradients, and Adam moments) in single contiguous
// buffers so that the optimizer, the gradient all-reduce and checkpoints each touch one array.
// This header is pure (no LibTorch) so that layout and muP rules are testable on their own.
//
// muP (Tensor Programs V, Adam variant), with width multiplier m = width / base_width:
//   kind               init std                 LR multiplier   weight decay
//   token/pos embed    sigma                    1               yes
//   hidden matrices    sigma / sqrt(m)          1 / m           yes
//     (out-proj, MLP down additionally x 1/sqrt(2 * depth))
//   output head        sigma (logits x 1/m)     1               yes
//   norm weight/bias   1 / 0                    1               no
// and attention logits scaled by sqrt(d_head_base) / d_head (1/sqrt(d_head) at base width).
// docs/trainer.md explains the choices.
#ifndef AUGUR_TRAINER_PARAM_LAYOUT_H_
#define AUGUR_TRAINER_PARAM_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/model_params.h"

namespace augur::trainer {

enum class ParamKind {
  kTokenEmbedding,
  kPositionEmbedding,
  kHidden,
  kOutputHead,
  kNormWeight,
  kNormBias,
};

// Base initialization standard deviation at the base width.
inline constexpr double kBaseInitStd = 0.02;

struct ParamSpec {
  std::string name;  // e.g. "blocks.0.attn.qkv.weight".
  ParamKind kind;
  std::vector<int64_t> shape;  // Row-major, as the module uses it ([out, in] for matrices).
  int64_t offset = 0;          // Into the flat buffer, in floats.
  int64_t numel = 0;
  double init_std = 0.0;       // 0 for norms (initialized to constants).
  double init_constant = 0.0;  // Norm weights 1, biases 0.
  double lr_multiplier = 1.0;  // Applied to the (scheduled) base learning rate.
  bool weight_decay = true;    // Decoupled decay applies.
  bool embedding = false;      // Excluded from the non-embedding count.
};

struct ParamLayout {
  std::vector<ParamSpec> params;
  int64_t total_numel = 0;
  int64_t non_embedding_numel = 0;
  double width_multiplier = 1.0;   // m = width / base_width.
  double attention_scale = 1.0;    // Multiplies q.k.
  double output_multiplier = 1.0;  // Multiplies logits (1 / m).
};

// Builds the layout for `shape` with muP relative to `base_width` (0 = shape.width, i.e. plain
// standard parametrization at that width). CHECKs that width divides by heads.
ParamLayout MakeParamLayout(const GptShape& shape, int64_t base_width);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_PARAM_LAYOUT_H_
