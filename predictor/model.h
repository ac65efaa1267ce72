// A fitted predictor model: one calibration per schedule key plus a pooled one ("*"),
// saved as a small versioned JSON file (format "augur.predictor.model", version 1):
//
//   {"format": "augur.predictor.model", "version": 1,
//    "fixed": {"m": 0.05, "e1": 0.001, "e2": 0.1},
//    "fit": {"x_min": 0.2, "x_max": 1.0, "smooth_window_fraction": 0.02, "cv_folds": 5},
//    "calibrations": [{"schedule": "linear_decay", "b_c": .., "b_e": .., "q_c": .., "q_e": ..,
//                      "mae": .., "curves": .., "dropped": .., "sizes": ..,
//                      "error": {"fractions": [..], "rel_rmse": [..],
//                                "diff_fractions": [..], "rel_diff_rmse": [..], "diff_pairs": n,
//                                "held_out": [..]}},
//                     ...]}
//   (the diff_ fields only when paired errors were measured; see reference.h)
//
// Loading rejects another format, a newer version, or fixed constants that differ from ours,
// and reads a calibration keyed by an old shape name ("d2z") under its canonical name.
#ifndef AUGUR_PREDICTOR_MODEL_H_
#define AUGUR_PREDICTOR_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "predictor/calibration.h"

namespace augur::predictor {

inline constexpr int kModelVersion = 1;
inline constexpr char kPooledKey[] = "*";

struct PredictorModel {
  FitOptions fit;
  std::vector<Calibration> calibrations;

  // The calibration for a schedule key, else the pooled one, else nullptr.
  const Calibration* For(const std::string& schedule_key) const;
};

// The distinct schedule keys of `curves` (in order of first appearance) that `model` has no
// calibration of their own for, while it has a pooled one: predictions for them use the pooled
// calibration. (A key with neither cannot be predicted; ReferenceFor says so.)
std::vector<std::string> KeysUsingPooled(const PredictorModel& model,
                                         const std::vector<Curve>& curves);

// Fits one calibration per schedule key with at least `min_curves_per_schedule` usable curves,
// and a pooled calibration over all curves (METHOD.md §6: calibrate per schedule shape when
// references of that shape exist).
absl::StatusOr<PredictorModel> FitModel(const std::vector<Curve>& refs, const FitOptions& options,
                                        int min_curves_per_schedule = 3);

std::string ModelToJson(const PredictorModel& model);
absl::StatusOr<PredictorModel> ModelFromJson(const std::string& text);
absl::Status SaveModel(const PredictorModel& model, const std::string& path);
// The text of the fitted model at `path`, checked to parse as one. Only a regular file of at
// most kMaxModelFileBytes is read, opened without blocking (a FIFO or device is refused, not
// waited on). NOT_FOUND if it cannot be opened, INVALID_ARGUMENT otherwise; messages name the
// path.
inline constexpr int64_t kMaxModelFileBytes = 64 << 20;
absl::StatusOr<std::string> ReadModelText(const std::string& path);
// ReadModelText, parsed.
absl::StatusOr<PredictorModel> LoadModel(const std::string& path);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_MODEL_H_
