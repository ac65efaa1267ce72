#include "scheduler/search_points.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace augur {
namespace {

using v1::SearchDimension;

constexpr int kDefaultGridPoints = 3;

// Values of a dimension for grid search, in order.
std::vector<double> GridValues(const SearchDimension& d) {
  if (d.values_size() > 0) return {d.values().begin(), d.values().end()};
  const int n = d.grid_points() > 0 ? d.grid_points() : kDefaultGridPoints;
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const double f = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    if (i == n - 1 && n > 1) {
      out.push_back(d.max());  // Exactly, not up to rounding.
    } else if (d.log_scale()) {
      out.push_back(std::exp(std::log(d.min()) + f * (std::log(d.max()) - std::log(d.min()))));
    } else {
      out.push_back(d.min() + f * (d.max() - d.min()));
    }
  }
  return out;
}

// Maps u in [0, 1) to the dimension: an index into its values, or a point of its range.
double FromUnit(const SearchDimension& d, double u) {
  if (d.values_size() > 0) {
    const int i = std::min(d.values_size() - 1, static_cast<int>(u * d.values_size()));
    return d.values(i);
  }
  if (d.log_scale())
    return std::exp(std::log(d.min()) + u * (std::log(d.max()) - std::log(d.min())));
  return d.min() + u * (d.max() - d.min());
}

bool Sampled(const v1::SearchSpace& search) {
  return search.method() == v1::SEARCH_METHOD_RANDOM || search.method() == v1::SEARCH_METHOD_SOBOL;
}

}  // namespace

SearchPoints::SearchPoints(const v1::SearchSpace& search, int32_t micro_batch)
    : search_(search), micro_batch_(micro_batch) {
  if (Sampled(search)) {
    count_ = std::max(0, search.trials());
  } else {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    count_ = 1;
    for (const SearchDimension& d : search.dimensions()) {
      grid_.push_back(GridValues(d));
      const int64_t n = static_cast<int64_t>(grid_.back().size());
      count_ = n == 0 ? 0 : (count_ > kMax / n ? kMax : count_ * n);
    }
  }
  Restart();
}

void SearchPoints::Restart() {
  drawn_ = 0;
  rng_.seed(search_.sample_seed());
  if (search_.method() == v1::SEARCH_METHOD_SOBOL) {
    sobol_.emplace(search_.dimensions_size(), /*scramble=*/true, search_.sample_seed());
  }
}

SearchPoint SearchPoints::Next() {
  const auto& dims = search_.dimensions();
  SearchPoint p;
  if (Sampled(search_)) {
    std::vector<double> u(dims.size());
    if (sobol_) {
      u = sobol_->Next();
    } else {
      for (double& x : u) x = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // [0, 1).
    }
    for (int i = 0; i < dims.size(); ++i) p[dims[i].parameter()] = FromUnit(dims[i], u[i]);
  } else {
    // Mixed radix, the last dimension the fastest digit; assigned in dimension order (a
    // parameter listed twice takes its last dimension's value).
    std::vector<int64_t> digit(dims.size());
    int64_t rest = drawn_;
    for (int i = dims.size() - 1; i >= 0; --i) {
      const int64_t n = static_cast<int64_t>(grid_[i].size());
      digit[i] = rest % n;
      rest /= n;
    }
    for (int i = 0; i < dims.size(); ++i) p[dims[i].parameter()] = grid_[i][digit[i]];
  }
  ++drawn_;
  auto& batch = p[v1::SEARCH_PARAMETER_BATCH_SEQUENCES];
  const double unit = micro_batch_ > 0 ? micro_batch_ : 1;
  if (batch) batch = std::max(unit, std::round(*batch / unit) * unit);
  return p;
}

}  // namespace augur
