#include "trainer/config.h"

#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/schedule_proto.h"
#include "common/status_macros.h"

namespace augur::trainer {
namespace {

absl::Status Invalid(absl::string_view field, double value, absl::string_view constraint) {
  return absl::InvalidArgumentError(absl::StrCat(field, " = ", value, " ", constraint));
}

}  // namespace

double WeightDecayFromTau(double tau, double hidden_lr, int64_t total_steps) {
  if (tau <= 0 || hidden_lr <= 0 || total_steps <= 0) return 0.0;
  return 1.0 / (hidden_lr * tau * static_cast<double>(total_steps));
}

double TauFromWeightDecay(double weight_decay, double hidden_lr, int64_t total_steps) {
  if (weight_decay <= 0 || hidden_lr <= 0 || total_steps <= 0) return 0.0;
  return 1.0 / (hidden_lr * weight_decay * static_cast<double>(total_steps));
}

absl::Status ValidateSchedule(const ScheduleSettings& c) {
  if (c.shape == ScheduleShape::kTabulated) {
    return absl::InvalidArgumentError(
        "schedule.shape = tabulated: the trainer runs linear_decay, cosine, constant or wsd (a "
        "tabulated schedule is only read from logged curves)");
  }
  if (!(c.warmup_fraction >= 0.0 && c.warmup_fraction < 1.0)) {
    return Invalid("schedule.warmup_fraction", c.warmup_fraction, "must be in [0, 1)");
  }
  if (!(c.final_lr_fraction >= 0.0 && c.final_lr_fraction <= 1.0)) {
    return Invalid("schedule.final_lr_fraction", c.final_lr_fraction, "must be in [0, 1]");
  }
  if (c.shape == ScheduleShape::kWsd && !(c.decay_fraction > 0.0 && c.decay_fraction <= 1.0)) {
    return Invalid("schedule.decay_fraction", c.decay_fraction, "must be in (0, 1]");
  }
  return absl::OkStatus();
}

absl::Status ValidateTrialSpec(const TrialSpec& s) {
  const GptShape& m = s.shape;
  if (m.width <= 0) return Invalid("model.width", m.width, "must be > 0");
  if (m.depth <= 0) return Invalid("model.depth", m.depth, "must be > 0");
  if (m.heads <= 0 || m.width % m.heads != 0) {
    return Invalid("model.heads", m.heads, absl::StrCat("must divide model.width = ", m.width));
  }
  if (m.context_tokens <= 0)
    return Invalid("model.context_tokens", m.context_tokens, "must be > 0");
  if (m.vocab_size <= 0 || m.vocab_size > 65536) {
    return Invalid("model.vocab_size", m.vocab_size, "must be in [1, 65536]");
  }
  if (!(m.mlp_ratio > 0)) return Invalid("model.mlp_ratio", m.mlp_ratio, "must be > 0");
  if (s.base_width < 0) return Invalid("model.base_width", s.base_width, "must be >= 0");
  if (s.base_width > 0 && s.base_width % m.heads != 0) {
    return Invalid("model.base_width", s.base_width, "must be a multiple of model.heads");
  }
  if (s.data.format == DataFormat::kTextBytes && m.vocab_size < 256) {
    return Invalid("model.vocab_size", m.vocab_size, "must be >= 256 for byte-level text");
  }
  if (!(s.data.validation_fraction > 0 && s.data.validation_fraction <= 0.5)) {
    return Invalid("data.validation_fraction", s.data.validation_fraction, "must be in (0, 0.5]");
  }
  const OptimizerConfig& o = s.optimizer;
  if (!(o.peak_lr > 0) || !std::isfinite(o.peak_lr)) {
    return Invalid("optimizer.peak_lr", o.peak_lr, "must be finite and > 0");
  }
  if (!(o.weight_decay >= 0))
    return Invalid("optimizer.weight_decay", o.weight_decay, "must be >= 0");
  if (!(o.tau >= 0)) return Invalid("optimizer.tau", o.tau, "must be >= 0");
  if (o.tau > 0 && o.weight_decay > 0) {
    return Invalid("optimizer.tau", o.tau, "cannot be set together with optimizer.weight_decay");
  }
  if (!(o.beta1 >= 0 && o.beta1 < 1))
    return Invalid("optimizer.beta1", o.beta1, "must be in [0, 1)");
  if (!(o.beta2 >= 0 && o.beta2 < 1))
    return Invalid("optimizer.beta2", o.beta2, "must be in [0, 1)");
  if (!(o.epsilon > 0)) return Invalid("optimizer.epsilon", o.epsilon, "must be > 0");
  if (!(o.grad_clip_norm >= 0)) {
    return Invalid("optimizer.grad_clip_norm", o.grad_clip_norm, "must be >= 0");
  }
  RETURN_IF_ERROR(ValidateSchedule(s.schedule));
  if (s.batch_sequences <= 0) return Invalid("batch_sequences", s.batch_sequences, "must be > 0");
  if (s.micro_batch_sequences < 0) {
    return Invalid("micro_batch_sequences", s.micro_batch_sequences, "must be >= 0");
  }
  if (s.total_steps < 0) return Invalid("total_steps", s.total_steps, "must be >= 0");
  if (s.total_steps == 0 && !(s.tokens_per_param > 0)) {
    return Invalid("tokens_per_param", s.tokens_per_param, "must be > 0 when total_steps is 0");
  }
  if (s.eval_interval_steps < 0) {
    return Invalid("eval_interval_steps", s.eval_interval_steps, "must be >= 0");
  }
  if (s.eval_sequences <= 0) return Invalid("eval_sequences", s.eval_sequences, "must be > 0");
  if (s.checkpoint_interval_steps < 0) {
    return Invalid("checkpoint_interval_steps", s.checkpoint_interval_steps, "must be >= 0");
  }
  if (s.cpu_threads < 0) return Invalid("resources.cpu_threads", s.cpu_threads, "must be >= 0");
  if (s.gpus < 0) return Invalid("resources.gpus", s.gpus, "must be >= 0");
  return absl::OkStatus();
}

absl::StatusOr<ResolvedTrial> ResolveTrial(const TrialSpec& s) {
  RETURN_IF_ERROR(ValidateTrialSpec(s));
  ResolvedTrial r;
  r.params = CountGptParams(s.shape);
  r.batch_tokens = s.batch_sequences * s.shape.context_tokens;
  r.total_steps = s.total_steps > 0 ? s.total_steps
                                    : StepsForBudget(s.shape, s.tokens_per_param, r.batch_tokens);
  // No trial runs 10^12 steps; a budget that asks for more is a mistake (or an overflow).
  constexpr int64_t kMaxSteps = 1'000'000'000'000;
  if (r.total_steps > kMaxSteps) {
    return Invalid("tokens_per_param", s.tokens_per_param, "gives more than 10^12 steps");
  }
  const int64_t base = s.base_width > 0 ? s.base_width : s.shape.width;
  r.width_multiplier = static_cast<double>(s.shape.width) / static_cast<double>(base);
  r.hidden_peak_lr = s.optimizer.peak_lr / r.width_multiplier;
  r.weight_decay = s.optimizer.tau > 0
                       ? WeightDecayFromTau(s.optimizer.tau, r.hidden_peak_lr, r.total_steps)
                       : s.optimizer.weight_decay;
  r.tau = TauFromWeightDecay(r.weight_decay, r.hidden_peak_lr, r.total_steps);
  r.tokens_per_param = static_cast<double>(r.total_steps) * static_cast<double>(r.batch_tokens) /
                       static_cast<double>(r.params.non_embedding);
  return r;
}

absl::StatusOr<TrialSpec> TrialSpecFromProto(const augur::v1::TrialConfig& p) {
  TrialSpec s;
  const auto& m = p.model();
  if (m.width() > 0) s.shape.width = m.width();
  if (m.depth() > 0) s.shape.depth = m.depth();
  if (m.heads() > 0) s.shape.heads = m.heads();
  if (m.context_tokens() > 0) s.shape.context_tokens = m.context_tokens();
  if (m.vocab_size() > 0) s.shape.vocab_size = m.vocab_size();
  if (m.mlp_ratio() > 0) s.shape.mlp_ratio = m.mlp_ratio();
  s.base_width = m.base_width();

  const auto& d = p.data();
  switch (d.format()) {
    case augur::v1::DataSource::FORMAT_UINT16_SHARD:
      s.data.format = DataFormat::kUint16Shard;
      break;
    case augur::v1::DataSource::FORMAT_TEXT_BYTES:
      s.data.format = DataFormat::kTextBytes;
      break;
    default:  // Unspecified: infer from the path.
      s.data.format =
          d.path().ends_with(".bin") ? DataFormat::kUint16Shard : DataFormat::kTextBytes;
  }
  s.data.path = d.path();
  if (d.validation_fraction() > 0) s.data.validation_fraction = d.validation_fraction();
  s.data.data_seed = d.data_seed();

  const auto& o = p.optimizer();
  if (o.peak_lr() != 0) s.optimizer.peak_lr = o.peak_lr();
  s.optimizer.weight_decay = o.weight_decay();
  s.optimizer.tau = o.tau();
  if (o.beta1() != 0) s.optimizer.beta1 = o.beta1();
  if (o.beta2() != 0) s.optimizer.beta2 = o.beta2();
  if (o.epsilon() != 0) s.optimizer.epsilon = o.epsilon();
  if (o.grad_clip_norm() != 0) s.optimizer.grad_clip_norm = o.grad_clip_norm();

  // warmup_fraction 0 in a proto means "unset" (proto3): the default 0.1 applies. A trial that
  // truly wants no warmup sets a tiny positive value or uses the trainer's flag.
  s.schedule = ScheduleFromProto(p.schedule());

  if (p.batch_sequences() > 0) s.batch_sequences = p.batch_sequences();
  s.micro_batch_sequences = p.micro_batch_sequences();
  if (p.tokens_per_param() > 0) s.tokens_per_param = p.tokens_per_param();
  s.total_steps = p.total_steps();
  s.seed = p.seed();
  s.eval_interval_steps = p.eval_interval_steps();
  if (p.eval_sequences() > 0) s.eval_sequences = p.eval_sequences();
  s.checkpoint_interval_steps = p.checkpoint_interval_steps();
  s.cpu_threads = p.resources().cpu_threads();
  s.gpus = p.resources().gpus();
  RETURN_IF_ERROR(ValidateTrialSpec(s));
  return s;
}

}  // namespace augur::trainer
