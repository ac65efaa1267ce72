// The trainer's typed view of one trial (mirrors augur.v1.TrialConfig) and the quantities
// derived from it: steps from a tokens-per-parameter budget, weight decay from tau (METHOD.md
// §1), muP-adjusted learning rates. Pure; no LibTorch.
#ifndef AUGUR_TRAINER_CONFIG_H_
#define AUGUR_TRAINER_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "augur/v1/trial.pb.h"
#include "common/model_params.h"
#include "common/schedule.h"

namespace augur::trainer {

enum class DataFormat { kTextBytes, kUint16Shard };

struct DataConfig {
  DataFormat format = DataFormat::kTextBytes;
  std::string path;                   // Empty = the default corpus (data.h).
  double validation_fraction = 0.01;  // Tail of the tokens held out, in (0, 0.5].
  uint64_t data_seed = 0;             // Batch sampling seed (shared across a sweep).
};

struct OptimizerConfig {
  double peak_lr = 3e-3;      // Base (muP) learning rate; hidden matrices see peak_lr / m.
  double weight_decay = 0.0;  // Decoupled; used as given unless tau > 0 and this is 0.
  double tau = 0.0;           // AdamW timescale as a fraction of training; 0 = unused.
  double beta1 = 0.9;
  double beta2 = 0.95;
  double epsilon = 1e-8;
  double grad_clip_norm = 1.0;  // Global L2 norm; 0 disables.
};

struct TrialSpec {
  std::string run_id = "run";
  GptShape shape{.width = 64, .depth = 2, .heads = 4, .context_tokens = 64};
  int64_t base_width = 0;  // muP base width; 0 = width.
  DataConfig data;
  OptimizerConfig optimizer;
  ScheduleSettings schedule;          // Any shape but kTabulated (ValidateSchedule).
  int64_t batch_sequences = 16;       // Global, across data-parallel ranks.
  int64_t micro_batch_sequences = 0;  // Per forward/backward on one rank; 0 = whole local batch.
  double tokens_per_param = 20.0;     // Sets total_steps when total_steps == 0.
  int64_t total_steps = 0;
  uint64_t seed = 0;                // Model initialization.
  int64_t eval_interval_steps = 0;  // 0 = only at the end.
  int64_t eval_sequences = 16;
  int64_t checkpoint_interval_steps = 0;
  int cpu_threads = 0;  // 0 = hardware concurrency.
  int gpus = 0;
};

// Everything derived from a TrialSpec that the run and its curve report.
struct ResolvedTrial {
  int64_t total_steps = 0;
  int64_t batch_tokens = 0;  // batch_sequences * context_tokens.
  GptParamCount params;
  double width_multiplier = 1.0;
  double hidden_peak_lr = 0.0;    // peak_lr / m: the eta of the tau rule.
  double weight_decay = 0.0;      // Applied.
  double tau = 0.0;               // Implied: 1 / (hidden_peak_lr * weight_decay * total_steps).
  double tokens_per_param = 0.0;  // Actual: total_steps * batch_tokens / non_embedding params.
};

// Checks ranges and divisibility; errors name the field and value.
absl::Status ValidateTrialSpec(const TrialSpec& spec);

// The schedule part of ValidateTrialSpec: fractions in range, and a shape the trainer can run
// (a tabulated schedule is read from logged curves by the predictor; the trainer has no table).
absl::Status ValidateSchedule(const ScheduleSettings& schedule);

// Validates and derives. Weight decay from tau: lambda = 1 / (eta_hidden * tau * T).
absl::StatusOr<ResolvedTrial> ResolveTrial(const TrialSpec& spec);

// METHOD.md §1, with eta the LR applied to hidden weights. Both return 0 for a zero input.
double WeightDecayFromTau(double tau, double hidden_lr, int64_t total_steps);
double TauFromWeightDecay(double weight_decay, double hidden_lr, int64_t total_steps);

// Converts the scheduler's proto (zero fields take the defaults above).
absl::StatusOr<TrialSpec> TrialSpecFromProto(const augur::v1::TrialConfig& proto);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_CONFIG_H_
