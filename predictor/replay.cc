#include "predictor/replay.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"

namespace augur::predictor {

absl::StatusOr<ReplayResult> Replay(const std::vector<Curve>& sweep, const StoppingPolicy& policy,
                                    const ReplayOptions& options) {
  ReplayResult result;
  result.policy = policy.Name();
  std::vector<const Curve*> curves;
  for (const Curve& c : sweep) {
    if (c.complete && !c.points.empty()) {
      curves.push_back(&c);
    } else {
      result.skipped.push_back(c.id);
    }
  }
  if (curves.empty()) return absl::InvalidArgumentError("replay: no complete curve in the sweep");
  result.group = curves.front()->group;
  std::vector<double> fractions = options.milestones;
  for (double f : policy.ExtraDecisionFractions()) fractions.push_back(f);
  for (double f : fractions) {
    if (!(f > 0 && f <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("replay: milestone ", f, " outside (0, 1]"));
    }
  }
  std::sort(fractions.begin(), fractions.end());
  fractions.erase(std::unique(fractions.begin(), fractions.end(),
                              [](double a, double b) { return std::abs(a - b) < 1e-9; }),
                  fractions.end());

  const size_t n = curves.size();
  result.trials.resize(n);
  std::vector<double> nan_at(n, 2.0);  // Fraction of the first non-finite point, 2 = none.
  for (size_t i = 0; i < n; ++i) {
    TrialOutcome& t = result.trials[i];
    t.id = curves[i]->id;
    const int bad = FirstNonFinite(curves[i]->points);
    if (bad >= 0) {
      nan_at[i] = curves[i]->points[bad].fraction;
      t.true_final_loss = std::numeric_limits<double>::infinity();
    } else {
      t.true_final_loss = FinalLoss(curves[i]->points);
    }
  }
  std::vector<bool> ended(n, false);
  for (double m : fractions) {
    GroupView view;
    view.group_id = result.group;
    for (size_t i = 0; i < n; ++i) {
      TrialView& tv = view.trials.emplace_back();
      tv.id = curves[i]->id;
      tv.controls = curves[i]->controls;
      const double upto = ended[i] ? result.trials[i].stop_fraction : m;
      tv.points = PrefixTo(curves[i]->points, upto);
      tv.state = !ended[i]
                     ? TrialState::kRunning
                     : (result.trials[i].diverged ? TrialState::kDiverged : TrialState::kStopped);
    }
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < n; ++i) index[curves[i]->id] = i;
    std::vector<double> errors;
    for (const Decision& d : policy.Decide(view, m)) {
      auto it = index.find(d.trial_id);
      if (it == index.end() || ended[it->second]) continue;
      const size_t i = it->second;
      result.trials[i].decisions.push_back({m, d.action == Action::kStop, d.predicted_final_loss,
                                            d.lower, d.upper, d.compared_loss, d.chance_better,
                                            d.reason});
      if (std::isfinite(d.predicted_final_loss) &&
          std::isfinite(result.trials[i].true_final_loss)) {
        errors.push_back(std::abs(d.predicted_final_loss - result.trials[i].true_final_loss) /
                         result.trials[i].true_final_loss);
      }
      if (d.action == Action::kStop) {
        ended[i] = true;
        TrialOutcome& t = result.trials[i];
        t.stopped = !d.diverged;
        t.diverged = d.diverged;
        t.stop_fraction = std::min(m, nan_at[i]);
        t.reason = d.reason;
      }
    }
    MilestoneError e;
    e.milestone = m;
    e.predictions = static_cast<int>(errors.size());
    if (!errors.empty()) {
      std::sort(errors.begin(), errors.end());
      const size_t h = errors.size() / 2;
      e.median_abs_rel_error =
          errors.size() % 2 == 1 ? errors[h] : 0.5 * (errors[h - 1] + errors[h]);
    }
    result.errors.push_back(e);
  }
  // Survivors run on; a later non-finite loss ends them as diverged.
  double spent = 0, total = 0;
  double best = std::numeric_limits<double>::infinity();
  double chosen = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    TrialOutcome& t = result.trials[i];
    if (!ended[i] && nan_at[i] <= 1.0) {
      t.diverged = true;
      t.stop_fraction = nan_at[i];
      t.reason = "diverged: non-finite loss";
    }
    const CurveControls& k = curves[i]->controls;
    const double w = (k.total_steps > 0 ? static_cast<double>(k.total_steps) : 1.0) *
                     (k.batch_tokens > 0 ? k.batch_tokens : 1.0) * (k.params > 0 ? k.params : 1.0);
    spent += w * t.stop_fraction;
    total += w;
    double score = t.true_final_loss;
    if (!options.score_finals.empty()) {
      auto s = options.score_finals.find(t.id);
      score = s == options.score_finals.end() ? kNaN : s->second;
      if (t.diverged) score = std::numeric_limits<double>::infinity();
      t.score_final_loss = score;
    }
    if (score < best) {  // False for NaN: a trial without a score is not scored.
      best = score;
      result.best_id = t.id;
    }
    if (!t.stopped && !t.diverged && score < chosen) {
      chosen = score;
      result.chosen_id = t.id;
    }
  }
  result.compute_fraction = spent / total;
  if (std::isfinite(best)) result.best_final_loss = best;
  if (std::isfinite(chosen)) {
    result.chosen_final_loss = chosen;
    result.regret = chosen - best;
  }
  return result;
}

}  // namespace augur::predictor
