#include "predictor/curve.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace augur::predictor {

std::string CurveControls::ScheduleKey() const {
  return schedule_label.empty() ? std::string(ScheduleShapeName(schedule.shape)) : schedule_label;
}

std::string CanonicalScheduleKey(const std::string& key) {
  auto shape = ParseScheduleShape(key);
  return shape.ok() ? std::string(ScheduleShapeName(*shape)) : key;
}

void DeriveControls(CurveControls& c) {
  const double tokens = c.batch_tokens * static_cast<double>(c.total_steps);
  if (c.tau <= 0 && c.peak_lr > 0 && c.weight_decay > 0 && c.total_steps > 0) {
    c.tau = 1.0 / (c.peak_lr * c.weight_decay * static_cast<double>(c.total_steps));
  }
  if (c.tokens_per_param <= 0 && tokens > 0 && c.params > 0) c.tokens_per_param = tokens / c.params;
}

int FirstNonFinite(const std::vector<CurvePoint>& points) {
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].loss)) return static_cast<int>(i);
  }
  return -1;
}

size_t PrefixEnd(const std::vector<CurvePoint>& points, double x) {
  auto end = std::upper_bound(points.begin(), points.end(), x + 1e-12,
                              [](double v, const CurvePoint& p) { return v < p.fraction; });
  return static_cast<size_t>(end - points.begin());
}

std::vector<CurvePoint> PrefixTo(const std::vector<CurvePoint>& points, double x) {
  return std::vector<CurvePoint>(points.begin(), points.begin() + PrefixEnd(points, x));
}

double Progress(const std::vector<CurvePoint>& points) {
  return points.empty() ? 0.0 : points.back().fraction;
}

double MedianSpacing(const std::vector<CurvePoint>& points) {
  if (points.size() < 2) return 0.0;
  std::vector<double> d;
  d.reserve(points.size() - 1);
  for (size_t i = 1; i < points.size(); ++i)
    d.push_back(points[i].fraction - points[i - 1].fraction);
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

namespace {
double Coord(const CurvePoint& p, SmoothUnit unit) {
  switch (unit) {
    case SmoothUnit::kSteps:
      return static_cast<double>(p.step);
    case SmoothUnit::kTokens:
      return p.tokens;
    case SmoothUnit::kFraction:
      return p.fraction;
  }
  return p.fraction;
}
}  // namespace

namespace {

// The centered moving average of Smooth over the first n points: calls emit(i, mean) for
// each, in order. Needs window > 0 and n >= 2.
template <typename Emit>
void SmoothFirst(const std::vector<CurvePoint>& points, size_t n, double window, SmoothUnit unit,
                 Emit emit) {
  std::vector<double> prefix(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + points[i].loss;
  const double half = window / 2.0;
  size_t lo = 0, hi = 0;  // Window is [lo, hi).
  for (size_t i = 0; i < n; ++i) {
    const double c = Coord(points[i], unit);
    // Points exactly on the window's edge count on both sides despite rounding.
    const double eps = 1e-9 * std::max(std::abs(c), half);
    while (lo < i && Coord(points[lo], unit) < c - half - eps) ++lo;
    if (hi < i + 1) hi = i + 1;
    while (hi < n && Coord(points[hi], unit) <= c + half + eps) ++hi;
    emit(i, (prefix[hi] - prefix[lo]) / static_cast<double>(hi - lo));
  }
}

}  // namespace

std::vector<CurvePoint> Smooth(const std::vector<CurvePoint>& points, double window,
                               SmoothUnit unit) {
  if (window <= 0 || points.size() < 2) return points;
  std::vector<CurvePoint> out = points;
  SmoothFirst(points, points.size(), window, unit, [&](size_t i, double v) { out[i].loss = v; });
  return out;
}

double MinSmoothed(const std::vector<CurvePoint>& points, size_t n, double window,
                   SmoothUnit unit) {
  n = std::min(n, points.size());
  if (n == 0) return kNaN;
  double best = std::numeric_limits<double>::infinity();
  if (window <= 0 || n < 2) {
    for (size_t i = 0; i < n; ++i) best = std::min(best, points[i].loss);
    return best;
  }
  SmoothFirst(points, n, window, unit, [&](size_t, double v) { best = std::min(best, v); });
  return best;
}

double LossAt(const std::vector<CurvePoint>& points, double x) {
  if (points.empty() || x < points.front().fraction - 1e-12 || x > points.back().fraction + 1e-12)
    return kNaN;
  auto it = std::lower_bound(points.begin(), points.end(), x,
                             [](const CurvePoint& p, double v) { return p.fraction < v; });
  if (it == points.end()) return points.back().loss;
  if (it == points.begin() || it->fraction == x) return it->loss;
  const CurvePoint& b = *it;
  const CurvePoint& a = *(it - 1);
  const double span = b.fraction - a.fraction;
  if (span <= 0) return b.loss;
  return a.loss + (b.loss - a.loss) * (x - a.fraction) / span;
}

std::vector<double> Resample(const std::vector<CurvePoint>& points,
                             const std::vector<double>& grid) {
  std::vector<double> out;
  out.reserve(grid.size());
  for (double x : grid) out.push_back(LossAt(points, x));
  return out;
}

double FinalLoss(const std::vector<CurvePoint>& points, double window_fraction) {
  if (points.empty()) return kNaN;
  const double end = points.back().fraction;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    if (it->fraction < end - window_fraction && n >= 1) break;
    const double x = it->fraction - end;
    sx += x;
    sy += it->loss;
    sxx += x * x;
    sxy += x * it->loss;
    ++n;
  }
  if (n < 3) return sy / n;
  const double denom = n * sxx - sx * sx;
  if (std::abs(denom) < 1e-300) return sy / n;
  const double slope = (n * sxy - sx * sy) / denom;
  return (sy - slope * sx) / n;  // Intercept at x = end.
}

double CurrentLoss(const std::vector<CurvePoint>& points, double x, double window) {
  double sum = 0;
  int n = 0;
  const CurvePoint* last = nullptr;
  for (const CurvePoint& p : points) {
    if (p.fraction > x + 1e-12) break;
    last = &p;
    if (p.fraction > x - window) {
      sum += p.loss;
      ++n;
    }
  }
  if (n > 0) return sum / n;
  return last == nullptr ? kNaN : last->loss;
}

}  // namespace augur::predictor
