#include "predictor/lr_column.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace augur::predictor {
namespace {

double LargestLr(const std::vector<CurvePoint>& points) {
  double peak = 0;
  for (const CurvePoint& p : points) peak = std::max(peak, p.lr);
  return peak;
}

ScheduleSettings TableFromLr(const std::vector<CurvePoint>& points, double peak, double warmup) {
  ScheduleSettings s;
  s.shape = ScheduleShape::kTabulated;
  s.warmup_fraction = warmup;
  for (const CurvePoint& p : points) {
    if (p.lr > 0) s.table.push_back({p.fraction, p.lr / peak});
  }
  return s;
}

}  // namespace

// Why "first reaches its peak": every shape of common/schedule.h starts at its peak when the
// warmup ends (a table warms up to its own start), and the decaying ones fall right after, so
// the first logged point at the peak marks the warmup's end whatever follows; a plateau
// (constant, wsd) would fool "where the lr stops rising" no more than this. The tolerance
// absorbs rounding in logs and loggers that record the lr of the step before the update.
std::optional<double> WarmupFromLr(const std::vector<CurvePoint>& points) {
  const double peak = LargestLr(points);
  if (peak <= 0) return std::nullopt;
  const CurvePoint* prev = nullptr;
  for (size_t i = 0; i < points.size(); ++i) {
    const CurvePoint& p = points[i];
    if (p.lr >= (1 - kLrPeakTolerance) * peak) {
      if (i + 1 == points.size()) return std::nullopt;
      if (prev == nullptr) return p.fraction;  // Already at the peak when logging began.
      // On the linear ramp from 0 the peak is reached at prev.x * peak / prev.lr; clamped to
      // the two logged points, it corrects a coarse log that first shows the peak late.
      return std::clamp(prev->fraction * peak / prev->lr, prev->fraction, p.fraction);
    }
    if (p.lr > 0) prev = &p;
  }
  return std::nullopt;
}

double LrDisagreement(const ScheduleSettings& schedule, const std::vector<CurvePoint>& points) {
  const double peak = LargestLr(points);
  double worst = 0;
  if (peak <= 0) return worst;
  for (const CurvePoint& p : points) {
    if (p.lr > 0) {
      worst = std::max(worst, std::abs(ScheduleFactor(schedule, p.fraction) - p.lr / peak));
    }
  }
  return worst;
}

absl::StatusOr<ScheduleResolution> ResolveSchedule(const std::string& schedule_name,
                                                   bool warmup_given,
                                                   const std::vector<CurvePoint>& points,
                                                   bool complete_lr, CurveControls& controls) {
  ScheduleResolution r;
  ScheduleSettings& s = controls.schedule;
  const double peak = LargestLr(points);
  if (!warmup_given) {
    if (auto w = WarmupFromLr(points)) {
      s.warmup_fraction = *w;
      r.warmup = ScheduleResolution::Warmup::kLrColumn;
    } else {
      r.warmup = peak > 0 ? ScheduleResolution::Warmup::kLrStillRising
                          : ScheduleResolution::Warmup::kDefault;
    }
  }
  auto shape = ParseScheduleShape(schedule_name);
  if (!schedule_name.empty() && (!shape.ok() || *shape == ScheduleShape::kTabulated)) {
    // Any other name: the schedule is read from the lr column, normalized by its peak (the
    // configured peak_lr when larger). The name is the run's calibration key.
    const double norm = std::max(peak, controls.peak_lr);
    if (peak <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("schedule '", schedule_name,
                       "' is not linear_decay, cosine, constant or wsd, and there is no lr "
                       "column to read it from"));
    }
    s = TableFromLr(points, norm, s.warmup_fraction);
    controls.schedule_label = schedule_name;
    return r;
  }
  s.shape = schedule_name.empty() ? ScheduleShape::kLinearDecay : *shape;
  // The logged lr is what the run did; a name (or the default) is what someone wrote down. The
  // column is compared only once it shows the peak, so a run still warming up is not judged.
  if (peak <= 0 || r.warmup == ScheduleResolution::Warmup::kLrStillRising) return r;
  r.disagreement = LrDisagreement(s, points);
  r.disagrees = r.disagreement > kLrScheduleTolerance;
  if (r.disagrees && complete_lr) {
    // eta(x) from the column; the calibration key stays the written shape (the closest family
    // a model may have calibrated), or "lr_column" when none was written.
    controls.schedule_label =
        schedule_name.empty() ? "lr_column" : std::string(ScheduleShapeName(s.shape));
    s = TableFromLr(points, peak, s.warmup_fraction);
    r.used_lr_column = true;
  }
  return r;
}

void ScheduleNotes::Add(const std::string& run_id, const std::string& schedule_name,
                        const ScheduleResolution& r) {
  if (r.warmup == ScheduleResolution::Warmup::kDefault) default_warmup_.push_back(run_id);
  if (r.warmup == ScheduleResolution::Warmup::kLrStillRising) rising_warmup_.push_back(run_id);
  if (!r.disagrees) return;
  Runs& runs = (r.used_lr_column ? used_ : kept_)[schedule_name];
  runs.ids.push_back(run_id);
  runs.largest = std::max(runs.largest, r.disagreement);
}

std::vector<std::string> ScheduleNotes::Lines(const std::string& filename) const {
  auto names = [](const std::vector<std::string>& ids) {
    constexpr size_t kShown = 5;
    std::vector<std::string> shown(ids.begin(), ids.begin() + std::min(ids.size(), kShown));
    std::string s = absl::StrJoin(shown, ", ");
    if (ids.size() > kShown) absl::StrAppend(&s, " and ", ids.size() - kShown, " more");
    return absl::StrCat(ids.size(), ids.size() == 1 ? " run (" : " runs (", s, ")");
  };
  auto written = [](const std::string& name) {
    return name.empty() ? std::string("the default schedule linear_decay")
                        : absl::StrCat("schedule '", name, "'");
  };
  const double w = ScheduleSettings().warmup_fraction;
  std::vector<std::string> out;
  if (!default_warmup_.empty()) {
    out.push_back(absl::StrFormat(
        "%s: %s without a warmup_fraction, warmup_steps or lr column: assumed warmup %g", filename,
        names(default_warmup_), w));
  }
  if (!rising_warmup_.empty()) {
    out.push_back(absl::StrFormat(
        "%s: %s without a warmup column whose lr is still rising at its last point: assumed "
        "warmup %g",
        filename, names(rising_warmup_), w));
  }
  for (const auto& [name, runs] : used_) {
    out.push_back(absl::StrFormat(
        "%s: %s: the lr column differs from %s by up to %.2f of the peak: used the lr column "
        "for the schedule's shape (calibration key '%s')",
        filename, names(runs.ids), written(name), runs.largest,
        name.empty() ? "lr_column" : std::string(ScheduleShapeName(*ParseScheduleShape(name)))));
  }
  for (const auto& [name, runs] : kept_) {
    out.push_back(absl::StrFormat(
        "%s: %s: the lr column differs from %s by up to %.2f of the peak, but stops before the "
        "run's end: used %s",
        filename, names(runs.ids), written(name), runs.largest, written(name)));
  }
  return out;
}

}  // namespace augur::predictor
