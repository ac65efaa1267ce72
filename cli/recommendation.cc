#include "cli/recommendation.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "cli/report.h"

namespace augur::cli {
namespace {

struct Dimension {
  const char* name;
  std::function<double(const v1::TrialHyperparameters&)> value;
};

const std::vector<Dimension>& Dimensions() {
  static const std::vector<Dimension> kDims = {
      {"lr", [](const v1::TrialHyperparameters& h) { return h.peak_lr(); }},
      {"tau", [](const v1::TrialHyperparameters& h) { return h.tau(); }},
      {"wd", [](const v1::TrialHyperparameters& h) { return h.weight_decay(); }},
      {"batch",
       [](const v1::TrialHyperparameters& h) { return static_cast<double>(h.batch_sequences()); }}};
  return kDims;
}

// Relative comparison: values planned from one grid print and compare equal to 3 digits.
bool Same(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), 1.0); }

}  // namespace

std::vector<Recommendation> Recommend(const v1::GetSweepResponse& sweep,
                                      const std::vector<v1::TrialCurve>& curves) {
  std::vector<Recommendation> out;
  auto find = [&](const std::string& size) -> Recommendation* {
    for (Recommendation& r : out) {
      if (r.size == size) return &r;
    }
    return nullptr;
  };
  for (const v1::RankingRow& row : sweep.ranking()) {
    const v1::Trial& t = row.trial();
    if (t.is_reference() || t.state() != v1::TRIAL_STATE_COMPLETED) continue;
    const double loss = FinalLoss(t, CurveOf(curves, t.trial_id()));
    if (!(loss > 0)) continue;
    Recommendation* r = find(t.hyperparameters().model_size());
    if (r == nullptr) {
      out.push_back({t.hyperparameters().model_size(), &t, loss, {}});
    } else if (loss < r->final_loss) {
      r->trial = &t;
      r->final_loss = loss;
    }
  }
  for (Recommendation& r : out) {
    for (const Dimension& d : Dimensions()) {
      std::set<double> values;
      for (const v1::RankingRow& row : sweep.ranking()) {
        const v1::Trial& t = row.trial();
        if (!t.is_reference() && t.hyperparameters().model_size() == r.size) {
          values.insert(d.value(t.hyperparameters()));
        }
      }
      if (values.size() < 3) continue;  // Two values: there is no inside to be in.
      const double v = d.value(r.trial->hyperparameters());
      const bool low = Same(v, *values.begin()), high = Same(v, *values.rbegin());
      if (!low && !high) continue;
      r.edge_notes.push_back(absl::StrCat(d.name, "=", v, " is the ", low ? "smallest" : "largest",
                                          " ", d.name, " searched at ", r.size,
                                          ": the best may lie beyond; widen the range"));
    }
  }
  return out;
}

}  // namespace augur::cli
