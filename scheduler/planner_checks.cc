#include "scheduler/planner_checks.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/sobol.h"

namespace augur {
namespace {

using v1::SearchDimension;
using v1::SearchParameter;

absl::Status Invalid(const std::string& field, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// The constraint one value of `p` breaks, or "" if none.
std::string ValueProblem(SearchParameter p, double v) {
  if (!std::isfinite(v)) return "expected a finite number";
  switch (p) {
    case v1::SEARCH_PARAMETER_PEAK_LR:
      return v > 0 ? "" : "expected a learning rate > 0";
    case v1::SEARCH_PARAMETER_TAU:
      return v > 0 ? "" : "expected tau > 0 (a fraction of training)";
    case v1::SEARCH_PARAMETER_WEIGHT_DECAY:
      return v >= 0 ? "" : "expected weight decay >= 0";
    case v1::SEARCH_PARAMETER_BATCH_SEQUENCES:
      return v >= 1 && v < 2147483648.0 ? "" : "expected a batch of at least 1 sequence";
    default:
      return "unknown parameter";
  }
}

absl::Status CheckBatch(const std::string& field, int64_t batch, const PlannerOptions& options) {
  if (batch < 1) return Invalid(field, absl::StrCat("got ", batch, ", expected >= 1"));
  const int32_t micro = options.micro_batch_sequences;
  if (micro > 0 && batch % micro != 0) {
    return Invalid(field, absl::StrCat("got ", batch, ", not divisible by the micro batch of ",
                                       micro, " sequences"));
  }
  return absl::OkStatus();
}

absl::Status CheckDimension(const std::string& field, const SearchDimension& d,
                            const PlannerOptions& options) {
  const SearchParameter p = d.parameter();
  const bool batch = p == v1::SEARCH_PARAMETER_BATCH_SEQUENCES;
  if (d.values_size() > 0) {
    for (int i = 0; i < d.values_size(); ++i) {
      const std::string f = absl::StrCat(field, ".values[", i, "]");
      const std::string problem = ValueProblem(p, d.values(i));
      if (!problem.empty()) return Invalid(f, absl::StrCat("got ", d.values(i), ", ", problem));
      if (batch && d.values(i) != std::floor(d.values(i))) {
        return Invalid(f, absl::StrCat("got ", d.values(i), ", expected a whole number"));
      }
      if (batch) RETURN_IF_ERROR(CheckBatch(f, static_cast<int64_t>(d.values(i)), options));
    }
    return absl::OkStatus();
  }
  if (!(d.min() <= d.max())) {
    return Invalid(
        absl::StrCat(field, ".min"),
        absl::StrCat("got min ", d.min(), " > max ", d.max(), " (or no values and no range)"));
  }
  if (d.log_scale() && d.min() <= 0) {
    return Invalid(absl::StrCat(field, ".min"),
                   absl::StrCat("got ", d.min(), ", a log-scale range needs min > 0"));
  }
  for (const auto& [name, v] : {std::pair<const char*, double>{"min", d.min()}, {"max", d.max()}}) {
    const std::string problem = ValueProblem(p, v);
    if (!problem.empty()) {
      return Invalid(absl::StrCat(field, ".", name), absl::StrCat("got ", v, ", ", problem));
    }
  }
  if (d.grid_points() < 0) {
    return Invalid(absl::StrCat(field, ".grid_points"),
                   absl::StrCat("got ", d.grid_points(), ", expected >= 1 (0 = 3)"));
  }
  return absl::OkStatus();
}

absl::Status CheckSizes(const v1::SweepSpec& spec) {
  if (spec.sizes_size() == 0) return Invalid("sizes", "empty; expected at least one model size");
  bool searched = false;
  for (int i = 0; i < spec.sizes_size(); ++i) {
    const v1::ModelShape& s = spec.sizes(i).shape();
    const std::string field = absl::StrCat("sizes[", i, "].shape");
    searched |= !spec.sizes(i).reference_only();
    for (const auto& [name, v] : {std::pair<const char*, int32_t>{"width", s.width()},
                                  {"depth", s.depth()},
                                  {"heads", s.heads()},
                                  {"context_tokens", s.context_tokens()},
                                  {"vocab_size", s.vocab_size()}}) {
      if (v <= 0)
        return Invalid(absl::StrCat(field, ".", name), absl::StrCat("got ", v, ", expected > 0"));
    }
    if (s.width() % s.heads() != 0) {
      return Invalid(
          absl::StrCat(field, ".heads"),
          absl::StrCat("got ", s.heads(), ", width ", s.width(), " is not divisible by it"));
    }
    if (s.base_width() < 0 || s.mlp_ratio() < 0) {
      return Invalid(field, "base_width and mlp_ratio must be >= 0 (0 = default)");
    }
  }
  if (!searched) return Invalid("sizes", "every size is reference_only; expected one to search");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSweepSpec(const v1::SweepSpec& spec, const PlannerOptions& options) {
  RETURN_IF_ERROR(CheckSizes(spec));
  if (!(spec.tokens_per_param() > 0) || !std::isfinite(spec.tokens_per_param())) {
    return Invalid("tokens_per_param",
                   absl::StrCat("got ", spec.tokens_per_param(), ", expected > 0"));
  }
  if (options.micro_batch_sequences < 0) {
    return Invalid("micro_batch_sequences", "expected >= 0 (0 = the whole batch)");
  }

  const v1::SearchSpace& search = spec.search();
  if (search.dimensions_size() == 0) {
    return Invalid("search.dimensions", "empty; expected at least one searched parameter");
  }
  std::set<int> seen;
  for (int i = 0; i < search.dimensions_size(); ++i) {
    const SearchDimension& d = search.dimensions(i);
    const std::string field = absl::StrCat("search.dimensions[", i, "]");
    if (d.parameter() == v1::SEARCH_PARAMETER_UNSPECIFIED ||
        !v1::SearchParameter_IsValid(d.parameter())) {
      return Invalid(absl::StrCat(field, ".parameter"), "expected a search parameter");
    }
    if (!seen.insert(d.parameter()).second) {
      return Invalid(absl::StrCat(field, ".parameter"),
                     absl::StrCat(v1::SearchParameter_Name(d.parameter()), " is searched twice"));
    }
    RETURN_IF_ERROR(CheckDimension(field, d, options));
  }
  const bool lr_searched = seen.contains(v1::SEARCH_PARAMETER_PEAK_LR);
  const bool tau_searched = seen.contains(v1::SEARCH_PARAMETER_TAU);
  const bool wd_searched = seen.contains(v1::SEARCH_PARAMETER_WEIGHT_DECAY);
  if (tau_searched && wd_searched) {
    return Invalid("search.dimensions",
                   "tau and weight decay are both searched; tau determines weight decay");
  }
  const bool random = search.method() == v1::SEARCH_METHOD_RANDOM;
  const bool sobol = search.method() == v1::SEARCH_METHOD_SOBOL;
  if ((random || sobol) && search.trials() <= 0) {
    return Invalid("search.trials",
                   absl::StrCat("got ", search.trials(), ", expected > 0 trials per size for ",
                                random ? "random" : "sobol", " search"));
  }
  if (sobol && search.dimensions_size() > SobolSequence::kMaxDims) {
    return Invalid("search.dimensions", "too many dimensions for Sobol search");
  }

  const v1::OptimizerConfig& opt = spec.optimizer();
  if (!lr_searched && !(opt.peak_lr() > 0)) {
    return Invalid("optimizer.peak_lr", absl::StrCat("got ", opt.peak_lr(), ", expected > 0"));
  }
  if (opt.tau() < 0)
    return Invalid("optimizer.tau", absl::StrCat("got ", opt.tau(), ", expected >= 0"));
  if (opt.weight_decay() < 0) {
    return Invalid("optimizer.weight_decay",
                   absl::StrCat("got ", opt.weight_decay(), ", expected >= 0"));
  }
  if (!seen.contains(v1::SEARCH_PARAMETER_BATCH_SEQUENCES)) {
    RETURN_IF_ERROR(CheckBatch("batch_sequences", spec.batch_sequences(), options));
  }

  const v1::StoppingPolicy& policy = spec.policy();
  double previous = 0;
  for (int i = 0; i < policy.milestone_fractions_size(); ++i) {
    const double m = policy.milestone_fractions(i);
    if (!(m > previous && m < 1)) {
      return Invalid(absl::StrCat("policy.milestone_fractions[", i, "]"),
                     absl::StrCat("got ", m, ", expected ascending fractions in (0, 1)"));
    }
    previous = m;
  }
  const double ratio = policy.reference_width_ratio();
  if (ratio < 0 || ratio > 1) {
    return Invalid("policy.reference_width_ratio",
                   absl::StrCat("got ", ratio, ", expected a ratio in (0, 1] (0 = 0.5)"));
  }
  return absl::OkStatus();
}

}  // namespace augur
