// What `augur validate` warns about: sizes and times that are legal but look like mistakes (a
// grid of tens of thousands of trials, tens of billions of tokens, a billion-parameter model on
// CPU workers, weeks of training). Warnings never make a spec invalid. Pure; thread-safe.
#ifndef AUGUR_CLI_SPEC_WARNINGS_H_
#define AUGUR_CLI_SPEC_WARNINGS_H_

#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"
#include "cli/spec_summary.h"

namespace augur::cli {

// Throughput assumed for the time estimate, in model FLOP/s (6 x parameters x tokens):
// a CPU worker of 2 cores trains the 0.9M-parameter GPT at ~9,000 tokens/s (docs/
// dependencies.md), about 5e10; a GPU is taken at 1e14 (an H100 at ~10% of its bf16 peak,
// what small models reach).
inline constexpr double kCpuWorkerFlops = 5e10;
inline constexpr double kGpuFlops = 1e14;

// Above these, validate warns.
inline constexpr int64_t kWarnTrials = 10'000;
inline constexpr int64_t kWarnTokens = 10'000'000'000;
inline constexpr int64_t kWarnCpuParams = 100'000'000;
inline constexpr double kWarnHours = 24 * 7;

// Estimated hours to run every planned trial to its end on one worker (one CPU worker, or one
// GPU per trial GPU when resources.gpus > 0).
double EstimatedHours(const v1::SweepSpec& spec, const SweepSummary& summary);

// One line per warning, e.g. "99.58B tokens if every trial ran to the end: ...".
std::vector<std::string> SpecWarnings(const v1::SweepSpec& spec, const SweepSummary& summary);

}  // namespace augur::cli

#endif  // AUGUR_CLI_SPEC_WARNINGS_H_
