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
  v1::SearchParameter parameter;
  std::function<double(const v1::TrialHyperparameters&)> value;
};

const std::vector<Dimension>& Dimensions() {
  static const std::vector<Dimension> kDims = {
      {"lr", v1::SEARCH_PARAMETER_PEAK_LR,
       [](const v1::TrialHyperparameters& h) { return h.peak_lr(); }},
      {"tau", v1::SEARCH_PARAMETER_TAU, [](const v1::TrialHyperparameters& h) { return h.tau(); }},
      {"wd", v1::SEARCH_PARAMETER_WEIGHT_DECAY,
       [](const v1::TrialHyperparameters& h) { return h.weight_decay(); }},
      {"batch", v1::SEARCH_PARAMETER_BATCH_SEQUENCES,
       [](const v1::TrialHyperparameters& h) { return static_cast<double>(h.batch_sequences()); }}};
  return kDims;
}

// The hyperparameters the spec searches; every one when it names none. A value derived from
// searched ones (weight decay solved from tau, LR and steps) has no range of its own to widen.
std::set<v1::SearchParameter> Searched(const v1::Sweep& sweep) {
  std::set<v1::SearchParameter> out;
  for (const v1::SearchDimension& d : sweep.spec().search().dimensions()) out.insert(d.parameter());
  if (out.empty()) {
    for (const Dimension& d : Dimensions()) out.insert(d.parameter);
  }
  return out;
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
  const std::set<v1::SearchParameter> searched = Searched(sweep.sweep());
  for (Recommendation& r : out) {
    for (const Dimension& d : Dimensions()) {
      if (!searched.contains(d.parameter)) continue;
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
