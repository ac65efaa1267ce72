#include "dashboard/curve_cache.h"

#include <cmath>
#include <utility>

#include "dashboard/downsample.h"

namespace augur::dashboard {

Curve Select(const Curve& curve, const std::vector<size_t>& indices) {
  Curve out;
  out.points_total = curve.points_total;
  out.last_step = curve.last_step;
  out.tokens.reserve(indices.size());
  out.fraction.reserve(indices.size());
  out.loss.reserve(indices.size());
  for (size_t i : indices) {
    out.tokens.push_back(curve.tokens[i]);
    out.fraction.push_back(curve.fraction[i]);
    out.loss.push_back(curve.loss[i]);
  }
  return out;
}

Curve InRange(const Curve& curve, XAxis axis, double from, double to, size_t max_points) {
  Curve in =
      Select(curve, RangeIndices(axis == XAxis::kTokens ? curve.tokens : curve.fraction, from, to));
  return max_points == 0 ? in : Select(in, DownsampleIndices(in.loss, max_points));
}

CurveCache::CurveCache(Scheduler* scheduler, size_t resolution, size_t max_trials)
    : scheduler_(scheduler), resolution_(resolution), max_trials_(max_trials) {}

absl::StatusOr<Curve> CurveCache::ReadAll(const std::string& trial_id) {
  absl::StatusOr<std::vector<v1::LossPoint>> points = scheduler_->ReadPoints(trial_id);
  if (!points.ok()) return points.status();
  Curve curve;
  curve.points_total = static_cast<int64_t>(points->size());
  curve.tokens.reserve(points->size());
  curve.fraction.reserve(points->size());
  curve.loss.reserve(points->size());
  for (const v1::LossPoint& p : *points) {
    curve.tokens.push_back(static_cast<double>(p.tokens()));
    curve.fraction.push_back(p.fraction());
    curve.loss.push_back(p.train_loss());
  }
  if (!points->empty()) curve.last_step = points->back().step();
  return curve;
}

absl::StatusOr<Curve> CurveCache::Get(const v1::Trial& trial, size_t max_points) {
  // A trial without points has last_step -1 in both.
  const int64_t last_step = trial.has_last_point() ? trial.last_point().step() : -1;
  if (max_points <= resolution_) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(trial.trial_id());
    if (it != entries_.end() && it->second.last_step == last_step) {
      return Select(it->second, DownsampleIndices(it->second.loss, max_points));
    }
  }
  // Read outside the lock: other views go on while the store answers.
  absl::StatusOr<Curve> full = ReadAll(trial.trial_id());
  if (!full.ok()) return full.status();
  Curve kept = Select(*full, DownsampleIndices(full->loss, resolution_));
  Curve answer = max_points > resolution_ ? Select(*full, DownsampleIndices(full->loss, max_points))
                                          : Select(kept, DownsampleIndices(kept.loss, max_points));
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= max_trials_) entries_.clear();
  entries_[trial.trial_id()] = std::move(kept);
  return answer;
}

}  // namespace augur::dashboard
