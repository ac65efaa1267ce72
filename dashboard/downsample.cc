#include "dashboard/downsample.h"

#include <algorithm>
#include <cmath>

namespace augur::dashboard {

std::vector<size_t> DownsampleIndices(const std::vector<double>& y, size_t max_points) {
  const size_t n = y.size();
  std::vector<size_t> out;
  if (n <= std::max<size_t>(max_points, 4)) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) out[i] = i;
    return out;
  }
  const size_t buckets = std::max<size_t>(1, max_points / 4);
  out.reserve(buckets * 4);
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = n * b / buckets, end = n * (b + 1) / buckets;
    if (begin >= end) continue;
    size_t lo = begin, hi = begin;
    bool any = false;
    for (size_t i = begin; i < end; ++i) {
      if (!std::isfinite(y[i])) continue;
      if (!any || y[i] < y[lo]) lo = i;
      if (!any || y[i] > y[hi]) hi = i;
      any = true;
    }
    size_t picked[4] = {begin, std::min(lo, hi), std::max(lo, hi), end - 1};
    for (size_t i : picked) {
      if (out.empty() || out.back() < i) out.push_back(i);
    }
  }
  return out;
}

std::vector<size_t> RangeIndices(const std::vector<double>& x, double from, double to) {
  // First index with x >= from, and one past the last with x <= to.
  size_t begin = static_cast<size_t>(std::lower_bound(x.begin(), x.end(), from) - x.begin());
  size_t end = static_cast<size_t>(std::upper_bound(x.begin(), x.end(), to) - x.begin());
  if (begin > 0) --begin;
  if (end < x.size()) ++end;
  std::vector<size_t> out;
  if (begin >= end) return out;
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) out.push_back(i);
  return out;
}

}  // namespace augur::dashboard
