// Parameter counts of Augur's GPT (trainer/ builds exactly this architecture; its test checks
// the count of the real module against these formulas). Pure arithmetic, so the planner can
// turn a tokens-per-parameter budget into steps without linking LibTorch.
//
// Architecture: learned token and position embeddings; `depth` pre-norm blocks, each
// LayerNorm(weight, bias) -> causal self-attention (fused QKV projection and an output
// projection, no biases) and LayerNorm -> MLP (width -> mlp_ratio*width -> width, GELU, no
// biases); a final LayerNorm; an untied output head (width -> vocab, no bias).
//
// Counting convention (docs/method.md): `non_embedding` excludes the token embedding, the
// position embedding and the output head, i.e. it is the blocks plus the final norm. Tokens
// per parameter (TPP) is always tokens / non_embedding.
#ifndef AUGUR_COMMON_MODEL_PARAMS_H_
#define AUGUR_COMMON_MODEL_PARAMS_H_

#include <cstdint>
#include <limits>

namespace augur {

struct GptShape {
  int64_t width = 0;
  int64_t depth = 0;
  int64_t heads = 0;
  int64_t context_tokens = 0;
  int64_t vocab_size = 256;
  double mlp_ratio = 4.0;

  int64_t mlp_width() const { return static_cast<int64_t>(mlp_ratio * width + 0.5); }
};

struct GptParamCount {
  int64_t non_embedding = 0;  // Blocks + final norm.
  int64_t total = 0;          // Everything, embeddings and output head included.
};

inline GptParamCount CountGptParams(const GptShape& s) {
  const int64_t w = s.width;
  const int64_t attn = 3 * w * w + w * w;     // QKV + output projection.
  const int64_t mlp = 2 * w * s.mlp_width();  // Up + down projection.
  const int64_t norms = 2 * (2 * w);          // Two LayerNorms (weight + bias).
  const int64_t blocks = s.depth * (attn + mlp + norms);
  const int64_t final_norm = 2 * w;
  const int64_t embeddings = s.vocab_size * w + s.context_tokens * w;
  const int64_t head = s.vocab_size * w;
  GptParamCount c;
  c.non_embedding = blocks + final_norm;
  c.total = c.non_embedding + embeddings + head;
  return c;
}

// Optimizer steps for a budget of `tokens_per_param` tokens per non-embedding parameter at
// `batch_tokens` tokens per step, rounded to the nearest step (at least 1). A budget beyond
// int64 (or NaN) gives INT64_MAX, for the caller's limits to refuse, rather than an undefined
// conversion (found by fuzzing the trial config reader, docs/fuzzing.md).
inline int64_t StepsForBudget(const GptShape& s, double tokens_per_param, int64_t batch_tokens) {
  const double tokens = tokens_per_param * static_cast<double>(CountGptParams(s).non_embedding);
  const double steps = tokens / static_cast<double>(batch_tokens) + 0.5;
  if (!(steps < 9.2e18)) return std::numeric_limits<int64_t>::max();
  return steps < 1 ? 1 : static_cast<int64_t>(steps);
}

}  // namespace augur

#endif  // AUGUR_COMMON_MODEL_PARAMS_H_
