// A reference normalized curve l(x) (METHOD.md §4 step 2) and the calibrated error of the
// final loss it predicts. Two kinds serve the same interface: the fitted functional form
// (FormReference) and the mean normalized curve of completed proxy runs with the same
// controls (EmpiricalReference). Immutable after construction; safe to share across threads.
#ifndef AUGUR_PREDICTOR_REFERENCE_H_
#define AUGUR_PREDICTOR_REFERENCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"
#include "predictor/normalized_form.h"

namespace augur::predictor {

// Relative error (root mean square of (predicted - true) / true) of the final loss predicted
// by alignment on a prefix ending at fraction x, measured on reference curves held out from
// the fit. Interpolated linearly in x; constant beyond the ends.
struct ErrorModel {
  std::vector<double> fractions;
  std::vector<double> rel_rmse;

  double At(double x) const;
  bool empty() const { return fractions.empty(); }
};

// The error model used when none was measured: about 1% at 10% and 0.5% from 20% on
// (METHOD.md §6, measured at 20 TPP), doubled to stay on the safe side.
ErrorModel DefaultErrorModel();

class Reference {
 public:
  virtual ~Reference() = default;
  // The normalized loss l(x) = L(x T) / L(T) at fraction x in [0, 1].
  virtual double Normalized(double x) const = 0;
  // Relative error of a final loss aligned on a prefix ending at x (see ErrorModel).
  virtual double ModelRelError(double x) const = 0;
  virtual std::string Describe() const = 0;
};

class FormReference : public Reference {
 public:
  // `schedule_key` (CurveControls::ScheduleKey) only names the schedule in Describe(); empty
  // means the shape's name.
  FormReference(const FormParams& params, ScheduleSettings schedule, ErrorModel error,
                std::string schedule_key = "");
  double Normalized(double x) const override;
  double ModelRelError(double x) const override { return error_.At(x); }
  std::string Describe() const override;

 private:
  FormParams params_;
  ScheduleSettings schedule_;
  std::string schedule_key_;
  ErrorModel error_;
  double inv_final_;  // 1 / lhat(1).
};

class EmpiricalReference : public Reference {
 public:
  // Averages the normalized curves (each smoothed over `smooth_window_fraction` and divided
  // by its own final loss) of complete, finite curves on a grid of step 0.002.
  // INVALID_ARGUMENT if no usable curve. The error model comes from leave-one-out alignment
  // among the curves when there are at least three, else DefaultErrorModel().
  static absl::StatusOr<std::unique_ptr<EmpiricalReference>> FromCurves(
      const std::vector<Curve>& curves, double smooth_window_fraction = 0.01);

  double Normalized(double x) const override;
  double ModelRelError(double x) const override { return error_.At(x); }
  std::string Describe() const override;
  int curves() const { return curves_; }

 private:
  EmpiricalReference() = default;
  std::vector<double> grid_;   // Fractions.
  std::vector<double> value_;  // Mean normalized loss at each grid point.
  ErrorModel error_;
  int curves_ = 0;
};

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_REFERENCE_H_
