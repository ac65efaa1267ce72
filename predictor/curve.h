// Training loss curves: points, the controls that determine their normalized shape, and the
// smoothing / resampling / final-loss helpers every other part of the predictor uses.
//
// Units: `step` in optimizer steps, `tokens` in tokens, `fraction` = step / total_steps in
// [0, 1], `loss` in nats per token, `lr` as applied (absolute). Thread safety: plain values,
// pure functions.
#ifndef AUGUR_PREDICTOR_CURVE_H_
#define AUGUR_PREDICTOR_CURVE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/schedule.h"

namespace augur::predictor {

struct CurvePoint {
  int64_t step = 0;
  double tokens = 0;    // 0 when unknown.
  double fraction = 0;  // step / total_steps.
  double loss = 0;
  double lr = 0;  // 0 when unknown.
};

// The controls of METHOD.md §1. Zero means "unknown" for every numeric field.
struct CurveControls {
  double tokens_per_param = 0;  // D / N, N = non-embedding parameters (common/model_params.h).
  double tau = 0;               // AdamW timescale as a fraction of training.
  ScheduleSettings schedule;
  // Calibration key of a tabulated schedule: the name its curve file gave it (e.g.
  // "wsd_exp_decay_20000_24000"). Empty: the shape's canonical name is the key.
  std::string schedule_label;
  double peak_lr = 0;
  double weight_decay = 0;
  double batch_tokens = 0;  // Tokens per optimizer step.
  double params = 0;        // Non-embedding parameters.
  int64_t seed = 0;
  int64_t total_steps = 0;

  // The key calibrations are grouped and looked up by (METHOD.md §6: "per schedule shape"):
  // `schedule_label` if set, otherwise ScheduleShapeName(schedule.shape).
  std::string ScheduleKey() const;
};

// `key` with a shape name, old or canonical, replaced by the canonical one ("d2z" ->
// "linear_decay"); any other key (a label, "*") unchanged. For keys read from files.
std::string CanonicalScheduleKey(const std::string& key);

struct Curve {
  std::string id;
  std::string group;  // Sweep / comparison group; empty = the default group.
  CurveControls controls;
  std::vector<CurvePoint> points;  // Sorted by step.
  bool complete = false;           // Trained to its planned end.
};

// Fills tau and tokens_per_param from peak_lr, weight_decay, batch_tokens, params and
// total_steps where they are zero and the inputs are known (tau = B / (eta * lambda * D)).
void DeriveControls(CurveControls& c);

// Index of the first point whose loss is NaN or infinite, or -1.
int FirstNonFinite(const std::vector<CurvePoint>& points);

// Points with fraction <= x (plus a tolerance of 1e-12).
std::vector<CurvePoint> PrefixTo(const std::vector<CurvePoint>& points, double x);
// PrefixTo(points, x).size(), without the copy.
size_t PrefixEnd(const std::vector<CurvePoint>& points, double x);

// The fraction of the last point, 0 for an empty curve.
double Progress(const std::vector<CurvePoint>& points);

// Median spacing between consecutive fractions (0 with fewer than two points).
double MedianSpacing(const std::vector<CurvePoint>& points);

enum class SmoothUnit { kSteps, kTokens, kFraction };

// Centered moving average of the loss over a window of `window` units (steps, tokens or
// fraction), truncated at both ends of the curve. O(n). A window <= 0 returns the input.
std::vector<CurvePoint> Smooth(const std::vector<CurvePoint>& points, double window,
                               SmoothUnit unit);
// The smallest loss of Smooth(first n points, window, unit), without building it: what a
// policy deciding on many trials per round needs. NaN when n == 0.
double MinSmoothed(const std::vector<CurvePoint>& points, size_t n, double window, SmoothUnit unit);

// Loss at fraction x by linear interpolation; NaN outside [first, last] fraction.
double LossAt(const std::vector<CurvePoint>& points, double x);

// Losses at each fraction of `grid` (NaN where the curve does not reach).
std::vector<double> Resample(const std::vector<CurvePoint>& points,
                             const std::vector<double>& grid);

// Final loss estimated robustly against per-point noise: the value at the last point of a
// least-squares line through the points in the last `window_fraction` of training (the loss
// still falls at the end of a decaying schedule, so a plain mean would be biased upward).
double FinalLoss(const std::vector<CurvePoint>& points, double window_fraction = 0.02);

// Mean loss over the points with fraction in (x - window, x]; falls back to the last point
// at or before x. NaN if none.
double CurrentLoss(const std::vector<CurvePoint>& points, double x, double window);

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_CURVE_H_
