// What a validated spec would run: sizes with parameter counts, trial counts, steps from the
// tokens-per-parameter budget, the search and the policy. Shown by `augur validate` (and later
// by `augur submit` before it submits). Parameter counts and steps come from
// common/model_params.h, the project's one convention, so they match what the planner plans.
#ifndef AUGUR_CLI_SPEC_SUMMARY_H_
#define AUGUR_CLI_SPEC_SUMMARY_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "augur/v1/sweep.pb.h"
#include "common/model_params.h"
#include "nlohmann/json.hpp"

namespace augur::cli {

struct SizeSummary {
  std::string name;
  GptShape shape;
  GptParamCount params;
  bool reference_only = false;
  // Training tokens of one full trial: tokens_per_param x non-embedding parameters.
  int64_t budget_tokens = 0;
  // Steps of one full trial for each batch size (sequences per step) the sweep uses, in the
  // order of `batch_sequences`. A searched range contributes its two ends.
  std::vector<int64_t> batch_sequences;
  std::vector<int64_t> steps;
};

struct SweepSummary {
  std::string name;
  std::vector<SizeSummary> sizes;
  // Hyperparameter points per searched size: the grid product, or search.trials.
  int64_t points_per_size = 0;
  int searched_sizes = 0;
  int seeds = 0;
  // Non-reference trials: points x searched sizes x seeds. Reference runs come on top; the
  // scheduler plans them (collapse without a fitted model).
  int64_t trials = 0;
  // True if the scheduler will add collapse reference runs (collapse without a fitted model).
  bool reference_runs = false;
  // Training tokens if every non-reference trial ran to its end.
  int64_t full_tokens = 0;
  std::string search;    // e.g. "grid 3 x 3 = 9 points: lr [...] x tau [...]"
  std::string schedule;  // e.g. "linear_decay, warmup 0.1"
  std::string policy;    // e.g. "collapse at 0.1, 0.2, 0.3; keep top 3; ..."
  std::string data;      // Path and format.
  // Size of the data file on this machine in tokens, if it could be read.
  std::optional<int64_t> data_tokens;

  // From the scheduler's planner (AddPlan): every trial it would create, references included.
  int64_t planned_trials = 0;
  int64_t planned_references = 0;
  int64_t planned_tokens = 0;  // If every planned trial ran to its end.
};

SweepSummary Summarize(const augur::v1::SweepSpec& spec);

// Plans the sweep with the scheduler's planner (scheduler/planner.h, pure) and fills the
// planned_* fields, so the summary shows exactly what `submit` would create. INVALID_ARGUMENT
// from the planner if it rejects the spec.
absl::Status AddPlan(const augur::v1::SweepSpec& spec, SweepSummary& summary);

// Human-readable form: a few header lines and a table of sizes.
void PrintSummary(const SweepSummary& summary, std::ostream& out);

// Machine-readable form (the `summary` object of `augur validate --output json`).
nlohmann::json SummaryToJson(const SweepSummary& summary);

}  // namespace augur::cli

#endif  // AUGUR_CLI_SPEC_SUMMARY_H_
