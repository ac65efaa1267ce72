#include "scheduler/sweep_limits.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace augur {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kMax / b ? kMax : a * b;
}

absl::Status TooMany(const char* what, int64_t got, int64_t limit, const char* flag) {
  return absl::InvalidArgumentError(absl::StrCat("the sweep asks for ", got, " ", what,
                                                 ", more than this scheduler's limit of ", limit,
                                                 " (augur-scheduler --", flag, ")"));
}

}  // namespace

int64_t SearchedTrials(const v1::SweepSpec& spec) {
  int64_t points = 1;
  const v1::SearchSpace& search = spec.search();
  if (search.method() == v1::SEARCH_METHOD_RANDOM || search.method() == v1::SEARCH_METHOD_SOBOL) {
    points = std::max(0, search.trials());
  } else {
    for (const v1::SearchDimension& d : search.dimensions()) {
      const int64_t n =
          d.values_size() > 0 ? d.values_size() : (d.grid_points() > 0 ? d.grid_points() : 3);
      points = SaturatingMul(points, n);
    }
  }
  int64_t sizes = 0;
  for (const v1::ModelSize& s : spec.sizes()) sizes += s.reference_only() ? 0 : 1;
  return SaturatingMul(SaturatingMul(points, sizes), std::max(1, spec.seeds_size()));
}

absl::Status CheckSpecSize(const v1::SweepSpec& spec, const SweepLimits& limits) {
  const int64_t trials = SearchedTrials(spec);
  if (limits.max_trials > 0 && trials > limits.max_trials) {
    return TooMany("trials", trials, limits.max_trials, "max-trials-per-sweep");
  }
  return absl::OkStatus();
}

absl::Status CheckPlannedSize(const PlannedSize& size, const SweepLimits& limits) {
  if (limits.max_trials > 0 && size.trials > limits.max_trials) {
    return TooMany("trials", size.trials, limits.max_trials, "max-trials-per-sweep");
  }
  if (limits.max_points_per_trial > 0 && size.longest_steps > limits.max_points_per_trial) {
    return TooMany("points in its longest trial (one per step)", size.longest_steps,
                   limits.max_points_per_trial, "max-points-per-trial");
  }
  if (limits.max_tokens > 0 && size.full_tokens > limits.max_tokens) {
    return TooMany("tokens if every trial ran to the end", size.full_tokens, limits.max_tokens,
                   "max-tokens-per-sweep");
  }
  return absl::OkStatus();
}

absl::Status CheckPlannedSize(const std::vector<v1::Trial>& trials, const SweepLimits& limits) {
  return CheckPlannedSize(SizeOf(trials), limits);
}

}  // namespace augur
