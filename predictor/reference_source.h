// Where a trial's reference curve comes from (METHOD.md §4 step 2): the fitted form of a
// PredictorModel, or empirical proxy runs with matching controls. Both are immutable after
// construction and thread-safe.
#ifndef AUGUR_PREDICTOR_REFERENCE_SOURCE_H_
#define AUGUR_PREDICTOR_REFERENCE_SOURCE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/model.h"
#include "predictor/reference.h"

namespace augur::predictor {

class ReferenceSource {
 public:
  virtual ~ReferenceSource() = default;
  // NOT_FOUND when no reference matches the controls.
  virtual absl::StatusOr<std::shared_ptr<const Reference>> ReferenceFor(
      const CurveControls& controls) const = 0;
};

// The form with the calibration for the trial's schedule key (else the pooled one).
class ModelReferenceSource : public ReferenceSource {
 public:
  explicit ModelReferenceSource(PredictorModel model) : model_(std::move(model)) {}
  absl::StatusOr<std::shared_ptr<const Reference>> ReferenceFor(
      const CurveControls& controls) const override;
  const PredictorModel& model() const { return model_; }

 private:
  PredictorModel model_;
};

// The mean normalized curve of the reference runs whose schedule key matches and whose tau
// and TPP are within a relative `tolerance` (unknown values match only unknown values).
// References are built once per distinct controls and cached (guarded by a mutex).
class EmpiricalReferenceSource : public ReferenceSource {
 public:
  explicit EmpiricalReferenceSource(std::vector<Curve> curves, double tolerance = 0.1)
      : curves_(std::move(curves)), tolerance_(tolerance) {}
  absl::StatusOr<std::shared_ptr<const Reference>> ReferenceFor(
      const CurveControls& controls) const override;

 private:
  std::vector<Curve> curves_;
  double tolerance_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const Reference>> cache_;  // Guarded by mu_.
};

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_REFERENCE_SOURCE_H_
