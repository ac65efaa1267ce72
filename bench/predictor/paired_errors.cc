#include "bench/predictor/paired_errors.h"

#include <cmath>
#include <string>

#include "absl/strings/str_format.h"
#include "bench/predictor/bench_common.h"
#include "predictor/alignment.h"

namespace augur::bench {

void PairedStats::Add(const std::vector<predictor::Curve>& sweep,
                      const predictor::ReferenceSource& refs, double x) {
  struct One {
    double pred, truth, noise, diff;
    bool measured;
  };
  std::vector<One> ones;
  for (const predictor::Curve& c : sweep) {
    if (!c.complete || predictor::FirstNonFinite(c.points) >= 0) continue;
    auto ref = refs.ReferenceFor(c.controls);
    if (!ref.ok()) continue;
    auto p = predictor::AlignAndPredict(predictor::PrefixTo(c.points, x), **ref,
                                        c.controls.schedule.warmup_fraction);
    if (!p.ok()) continue;
    ones.push_back({p->final_loss, predictor::FinalLoss(c.points), p->rel_noise_se,
                    p->rel_diff_model_error, p->diff_error_measured});
  }
  const double z = predictor::NormalQuantileTwoSided(0.9);
  for (size_t i = 0; i < ones.size(); ++i) {
    for (size_t j = i + 1; j < ones.size(); ++j) {
      const One& a = ones[i];
      const One& b = ones[j];
      const double mean = 0.5 * (a.truth + b.truth);
      const double err = ((a.pred - b.pred) - (a.truth - b.truth)) / mean;
      const double model = std::max(a.diff, b.diff);
      const double sd = std::sqrt(model * model + a.noise * a.noise + b.noise * b.noise);
      real.push_back(std::abs(err));
      claimed.push_back(sd);
      covered += std::abs(err) <= z * sd;
      measured += a.measured && b.measured;
    }
  }
}

std::string PairedStats::Summary() const {
  if (real.empty()) return "no pairs";
  return absl::StrFormat(
      "median |err| %.2f%%, claimed sd %.2f%%, 90%% coverage %.0f%% (%d pairs, %d measured)",
      100 * Median(real), 100 * Median(claimed), 100.0 * covered / real.size(),
      static_cast<int>(real.size()), measured);
}

}  // namespace augur::bench
