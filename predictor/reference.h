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

// Relative errors of the final loss predicted by alignment on a prefix ending at fraction x,
// measured on reference curves held out from the fit (calibration.h, EmpiricalReference):
// - rel_rmse: root mean square of (predicted - true) / true over the held-out curves;
// - rel_diff_rmse: root mean square, over pairs of held-out curves of one comparison group
//   (an LR or weight-decay sweep of one size and length), of the error of their predicted
//   difference, ((P_j - P_k) - (F_j - F_k)) / mean(F_j, F_k). Much of a prediction's error is
//   shared by a group (the calibration's bias at that size and length) and cancels here.
//   Measured at the fractions with at least kMinDiffPairs pairs (diff_fractions), empty when
//   there are none.
// - rel_q90: the 90% quantile of |(predicted - true) / true| over the held-out curves, taken
//   at rank ceil(0.9 (n + 1)) (split-conformal), measured only when every fraction has at least
//   kMinQuantileCurves predictions. It is the model part of the 90% interval users see: a
//   root mean square times 1.645 assumes normal errors, and held-out errors have heavy tails.
// Interpolated linearly in x; constant beyond the ends, except the paired error below its first
// measured fraction, which keeps its ratio to rel_rmse there.
struct ErrorModel {
  static constexpr int kMinDiffPairs = 3;
  static constexpr int kMinQuantileCurves = 9;  // Rank ceil(0.9 (n + 1)) <= n.
  std::vector<double> fractions;
  std::vector<double> rel_rmse;
  std::vector<double> diff_fractions;
  std::vector<double> rel_diff_rmse;  // At diff_fractions.
  int diff_pairs = 0;                 // Pairs behind rel_diff_rmse (the fewest at any fraction).
  std::vector<double> rel_q90;        // At fractions, or empty.
  // Held-out curves behind rel_rmse at each fraction; empty = unknown. The initializer lets
  // aggregate initializations that predate it leave it out.
  std::vector<int> held_out = {};

  // rel_rmse at x, as measured (what `augur-predict fit` reports).
  double At(double x) const;
  // The scale of a new prediction's error at x: At(x) x SmallSampleFactor(n), n the held-out
  // curves at x (the fewer of the two measured fractions around it). A root mean
  // square measured on a few held-out curves understates the error of the next one.
  double ScaleAt(double x) const;
  // rel_q90 at x when measured, else NaN.
  double Q90At(double x) const;
  // The paired error when measured, x SmallSampleFactor(diff_pairs); otherwise the conservative
  // fallback sqrt(2) x ScaleAt(x): the difference of two predictions whose errors share nothing.
  double DiffAt(double x) const;
  bool diff_measured() const { return !diff_fractions.empty(); }
  bool empty() const { return fractions.empty(); }
};

// The factor that turns a root mean square of n held-out relative errors into the scale of a
// new error at the 90% two-sided level, which is also the one-sided 95% of the default risk
// (5%): with normal errors centred on the truth, the new error over the measured root mean
// square follows Student's t with n degrees of freedom, so the factor is t_{0.95, n} / z_{0.95}
// (2.13 / 1.645 = 1.30 for 4 curves, 1.10 for 10, 1.03 for 36). 1 when n is 0 (not recorded:
// models written before 2026-12-05 and the default error model, which is doubled already).
double SmallSampleFactor(int n);

// The error model used when none was measured: about 1% at 10% and 0.5% from 20% on
// (METHOD.md §6, measured at 20 TPP), doubled to stay on the safe side. No paired part.
ErrorModel DefaultErrorModel();

class Reference {
 public:
  virtual ~Reference() = default;
  // The normalized loss l(x) = L(x T) / L(T) at fraction x in [0, 1].
  virtual double Normalized(double x) const = 0;
  // Held-out errors of a final loss aligned on a prefix (see ErrorModel).
  virtual const ErrorModel& Errors() const = 0;
  double ModelRelError(double x) const { return Errors().ScaleAt(x); }
  virtual std::string Describe() const = 0;
  // Predictions made with references of one family share their calibration error, which
  // cancels in a difference (ErrorModel::rel_diff_rmse); across families it does not. A form
  // reference's family is its calibration (schedule key); an empirical one's, its proxy runs.
  virtual std::string ErrorFamily() const = 0;
};

class FormReference : public Reference {
 public:
  // `schedule_key` (CurveControls::ScheduleKey) only names the schedule in Describe(); empty
  // means the shape's name.
  FormReference(const FormParams& params, ScheduleSettings schedule, ErrorModel error,
                std::string schedule_key = "");
  double Normalized(double x) const override;
  const ErrorModel& Errors() const override { return error_; }
  std::string Describe() const override;
  std::string ErrorFamily() const override { return "form:" + schedule_key_; }

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
  const ErrorModel& Errors() const override { return error_; }
  std::string Describe() const override;
  std::string ErrorFamily() const override { return family_; }
  int curves() const { return curves_; }

 private:
  EmpiricalReference() = default;
  std::string family_;         // "empirical:" and the proxy runs' ids.
  std::vector<double> grid_;   // Fractions.
  std::vector<double> value_;  // Mean normalized loss at each grid point.
  ErrorModel error_;
  int curves_ = 0;
};

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_REFERENCE_H_
