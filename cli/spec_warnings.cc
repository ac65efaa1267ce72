#include "cli/spec_warnings.h"

#include <cmath>

#include "common/text.h"

namespace augur::cli {
namespace {

std::string Count(double n) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
  for (const auto& u : kUnits) {
    if (n >= u.scale) {
      char text[32];
      std::snprintf(text, sizeof(text), "%.2f%s", n / u.scale, u.suffix);
      return text;
    }
  }
  return Cat(std::llround(n));
}

std::string Hours(double hours) {
  char text[32];
  if (hours >= 48) {
    std::snprintf(text, sizeof(text), "%.0f days", hours / 24);
  } else {
    std::snprintf(text, sizeof(text), "%.1f hours", hours);
  }
  return text;
}

}  // namespace

double EstimatedHours(const v1::SweepSpec& spec, const SweepSummary& summary) {
  double flops = 0;
  for (const SizeSummary& s : summary.sizes) {
    if (s.reference_only) continue;
    flops += 6.0 * static_cast<double>(s.params.total) * static_cast<double>(s.budget_tokens) *
             static_cast<double>(summary.points_per_size) * std::max(1, summary.seeds);
  }
  const int gpus = spec.resources().gpus();
  const double rate = gpus > 0 ? kGpuFlops * gpus : kCpuWorkerFlops;
  return flops / rate / 3600.0;
}

std::vector<std::string> SpecWarnings(const v1::SweepSpec& spec, const SweepSummary& summary) {
  std::vector<std::string> out;
  const int64_t trials = summary.planned_trials > 0 ? summary.planned_trials : summary.trials;
  if (trials > kWarnTrials) {
    out.push_back(Cat(trials, " trials planned: more than ", kWarnTrials,
                      " is rarely meant (a grid multiplies; the scheduler refuses more than its "
                      "--max-trials-per-sweep, 100,000 by default)"));
  }
  if (summary.full_tokens > kWarnTokens) {
    out.push_back(Cat(Count(static_cast<double>(summary.full_tokens)),
                      " tokens if every trial ran to the end: check tokens_per_param and the "
                      "model sizes"));
  }
  if (spec.resources().gpus() == 0) {
    for (const SizeSummary& s : summary.sizes) {
      if (s.params.total > kWarnCpuParams) {
        out.push_back(Cat("size ", s.name, " has ", Count(static_cast<double>(s.params.total)),
                          " parameters and resources.gpus is 0: it would train on CPU"));
      }
    }
  }
  const double hours = EstimatedHours(spec, summary);
  if (hours > kWarnHours) {
    out.push_back(Cat("about ", Hours(hours), " to run every trial to the end on one ",
                      spec.resources().gpus() > 0 ? Cat(spec.resources().gpus(), "-GPU worker")
                                                  : std::string("2-core CPU worker"),
                      " (estimate at ",
                      Count(spec.resources().gpus() > 0 ? kGpuFlops : kCpuWorkerFlops),
                      " FLOP/s); early stopping saves part of it"));
  }
  return out;
}

}  // namespace augur::cli
