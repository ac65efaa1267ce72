#include "bench/predictor/bench_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "predictor/alignment.h"

namespace augur::bench {

using predictor::PolicyConfig;

std::vector<Contender> Lineup(const std::vector<double>& milestones, int n,
                              std::shared_ptr<const predictor::ReferenceSource> form,
                              std::shared_ptr<const predictor::ReferenceSource> empirical,
                              std::shared_ptr<const predictor::ReferenceSource> form_early) {
  std::vector<Contender> out;
  const double last = milestones.back();
  PolicyConfig base;
  base.milestones = milestones;
  auto add = [&](const std::string& label, PolicyConfig c) {
    out.push_back({label, std::move(c), milestones});
  };
  PolicyConfig c = base;
  c.name = "collapse";
  c.references = form;
  add("collapse(form)", c);
  c.rule = PolicyConfig::Rule::kRank;
  add("collapse(form,no-int)", c);
  c.rule = PolicyConfig::Rule::kDisjointIntervals;
  c.keep_top = 1;
  add("collapse(form,previous)", c);
  if (form_early != nullptr) {
    c = base;
    c.name = "collapse";
    c.references = form_early;
    add("collapse(form,fit.2)", c);
  }
  if (empirical != nullptr) {
    c = base;
    c.name = "collapse";
    c.references = empirical;
    add("collapse(empirical)", c);
  }
  c = base;
  c.name = "extrapolation";
  add("extrapolation", c);
  c = base;
  c.name = "topk";
  c.keep_top = 1;
  c.topk_fraction = last;
  add(absl::StrFormat("top-1@%g", last), c);
  c = base;
  c.name = "asha";
  // Same budget as collapse: one rung at the first milestone cutting to about 1/3, then to
  // one at the next rungs (rf = 3 from grace = first milestone) or one rung keeping 1/n.
  if (milestones.size() == 1) {
    c.asha_grace_fraction = milestones.front();
    c.asha_reduction_factor = n;
  } else {
    c.asha_grace_fraction = milestones.front();
    c.asha_reduction_factor = 3;
  }
  add("asha(matched)", c);
  c = base;
  c.name = "asha";  // Ray Tune defaults: grace 1%, rf 4.
  add("asha(ray)", c);
  c = base;
  c.name = "median";
  add("median", c);
  c = base;
  c.name = "none";
  add("none", c);
  return out;
}

void Tally::Add(const predictor::ReplayResult& r, double seed_noise) {
  ++runs;
  correct += r.chosen_id == r.best_id;
  compute += r.compute_fraction;
  const double reg = std::isfinite(r.regret) ? r.regret : 0.0;
  regret += reg;
  if (seed_noise > 0) {
    regret_in_noise += reg / seed_noise;
    ++noise_runs;
    within_noise += reg <= seed_noise;
  }
  for (const predictor::MilestoneError& e : r.errors) {
    if (e.predictions > 0 && std::abs(e.milestone - r.errors.back().milestone) < 1e-9) {
      pred_err.push_back(e.median_abs_rel_error);
    }
  }
  const double tolerance = predictor::PolicyConfig{}.tolerance;
  for (const predictor::TrialOutcome& t : r.trials) {
    const double final = std::isfinite(t.score_final_loss) ? t.score_final_loss : t.true_final_loss;
    if (t.stopped) {
      ++stops;
      false_stops += final < r.chosen_final_loss * (1 - tolerance);
    }
    for (const predictor::MilestoneDecision& d : t.decisions) {
      if (!std::isfinite(d.lower) || !std::isfinite(d.upper)) continue;
      const bool in = d.lower <= t.true_final_loss && t.true_final_loss <= d.upper;
      // A prediction P above the final F is covered while P / F - 1 <= P / lower - 1.
      const double err = d.predicted_final_loss / t.true_final_loss - 1;
      const double half =
          err > 0 ? d.predicted_final_loss / d.lower - 1 : 1 - d.predicted_final_loss / d.upper;
      if (std::isfinite(err) && half > 0) error_to_half_width.push_back(std::abs(err) / half);
      ++intervals;
      covered += in;
      covered_at[d.milestone].first += in;
      ++covered_at[d.milestone].second;
    }
  }
}

void Tally::AddEveryTrial(const std::vector<predictor::Curve>& sweep,
                          const predictor::PolicyConfig& config,
                          const std::vector<double>& milestones) {
  if (config.name != "collapse" || config.references == nullptr) return;
  for (const predictor::Curve& c : sweep) {
    if (!c.complete) continue;
    const double truth = predictor::FinalLoss(c.points);
    if (!std::isfinite(truth)) continue;
    auto ref = config.references->ReferenceFor(c.controls);
    if (!ref.ok()) continue;
    for (double m : milestones) {
      auto p = predictor::AlignAndPredict(predictor::PrefixTo(c.points, m), **ref,
                                          c.controls.schedule.warmup_fraction, config.align);
      if (!p.ok() || !std::isfinite(p->lower)) continue;
      every_trial_at[m].first += p->lower <= truth && truth <= p->upper;
      ++every_trial_at[m].second;
    }
  }
}

void Tally::Merge(const Tally& o) {
  runs += o.runs;
  correct += o.correct;
  compute += o.compute;
  regret += o.regret;
  regret_in_noise += o.regret_in_noise;
  pred_err.insert(pred_err.end(), o.pred_err.begin(), o.pred_err.end());
  stops += o.stops;
  false_stops += o.false_stops;
  intervals += o.intervals;
  covered += o.covered;
  error_to_half_width.insert(error_to_half_width.end(), o.error_to_half_width.begin(),
                             o.error_to_half_width.end());
  for (const auto& [m, c] : o.covered_at) {
    covered_at[m].first += c.first;
    covered_at[m].second += c.second;
  }
  for (const auto& [m, c] : o.every_trial_at) {
    every_trial_at[m].first += c.first;
    every_trial_at[m].second += c.second;
  }
  noise_runs += o.noise_runs;
  within_noise += o.within_noise;
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

void PrintTallies(const std::vector<std::string>& order, const std::map<std::string, Tally>& t,
                  bool with_noise_units) {
  std::printf("  %-24s %8s %9s %10s %12s %10s %12s %9s\n", "policy", "compute", "correct", "regret",
              with_noise_units ? "regret/seed" : "", "|err|", "false stops", "coverage");
  for (const std::string& label : order) {
    const Tally& x = t.at(label);
    if (x.runs == 0) continue;
    const double err = Median(x.pred_err);
    std::printf(
        "  %-24s %7.1f%% %4d/%-4d %10.4f %12s %10s %12s %9s\n", label.c_str(),
        100 * x.compute / x.runs, x.correct, x.runs, x.regret / x.runs,
        with_noise_units ? absl::StrFormat("%.2f", x.regret_in_noise / x.runs).c_str() : "",
        std::isfinite(err) ? absl::StrFormat("%.2f%%", 100 * err).c_str() : "-",
        absl::StrFormat("%d/%d", x.false_stops, x.stops).c_str(),
        x.intervals ? absl::StrFormat("%.0f%%", 100.0 * x.covered / x.intervals).c_str() : "-");
  }
}

}  // namespace augur::bench
