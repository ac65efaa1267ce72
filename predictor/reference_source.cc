#include "predictor/reference_source.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace augur::predictor {

absl::StatusOr<std::shared_ptr<const Reference>> ModelReferenceSource::ReferenceFor(
    const CurveControls& controls) const {
  const Calibration* cal = model_.For(controls.ScheduleKey());
  if (cal == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("model has no calibration for schedule '", controls.ScheduleKey(), "'"));
  }
  return std::make_shared<FormReference>(ParamsFor(cal->constants, controls), controls.schedule,
                                         cal->error, controls.ScheduleKey());
}

namespace {
bool Close(double a, double b, double tol) {
  if (a <= 0 || b <= 0) return a <= 0 && b <= 0;
  return std::abs(a - b) <= tol * std::max(a, b);
}
}  // namespace

absl::StatusOr<std::shared_ptr<const Reference>> EmpiricalReferenceSource::ReferenceFor(
    const CurveControls& controls) const {
  const std::string key =
      absl::StrCat(controls.ScheduleKey(), "|", controls.tau, "|", controls.tokens_per_param);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  std::vector<Curve> matching;
  for (const Curve& c : curves_) {
    if (c.controls.ScheduleKey() == controls.ScheduleKey() &&
        Close(c.controls.tau, controls.tau, tolerance_) &&
        Close(c.controls.tokens_per_param, controls.tokens_per_param, tolerance_)) {
      matching.push_back(c);
    }
  }
  if (matching.empty()) {
    return absl::NotFoundError(absl::StrCat("no reference run with schedule '",
                                            controls.ScheduleKey(), "', tau ", controls.tau,
                                            " and TPP ", controls.tokens_per_param));
  }
  auto ref = EmpiricalReference::FromCurves(matching);
  if (!ref.ok()) return ref.status();
  std::shared_ptr<const Reference> shared(*std::move(ref));
  cache_[key] = shared;
  return shared;
}

}  // namespace augur::predictor
