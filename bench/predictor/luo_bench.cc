// Real curves: MultiPowerLaw (Luo et al. 2025, arXiv 2503.12811; github.com/thu-yao-01-luo/
// MultiPowerLaw, MIT licence), 27 curves, 3 sizes x 9 schedules at one peak LR. The data
// lives in ../shared/data/multipowerlaw-luo2025 (not copied into this repository).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/predictor/bench_common.h"
#include "bench/predictor/defaults_summary.h"
#include "predictor/alignment.h"
#include "predictor/curve_csv.h"
#include "predictor/deviation.h"
#include "predictor/extrapolation.h"
#include "predictor/model.h"

namespace augur::bench {
namespace {

using predictor::Curve;

// Batch size and weight decay are not stated in the source. TPP and tau are only needed up to
// a constant factor (it is absorbed by q_c and b_c), so we assume B = 0.5M tokens, lambda = 0.1.
constexpr double kAssumedBatchTokens = 524288;
constexpr double kAssumedWeightDecay = 0.1;

void FillControls(std::vector<Curve>& curves) {
  for (Curve& c : curves) {
    auto& k = c.controls;
    k.batch_tokens = kAssumedBatchTokens;
    k.weight_decay = kAssumedWeightDecay;
    k.tokens_per_param = 0;
    k.tau = 0;
    predictor::DeriveControls(k);
  }
}

struct Acc {
  std::vector<double> errs;
  int covered = 0, intervals = 0, failed = 0;
};

}  // namespace

int RunLuoSection(const std::string& dir, const RealOptions& options) {
  auto loaded = predictor::ReadCurvesCsv(dir + "/curves.csv");
  if (!loaded.ok()) {
    std::printf("\n== Real curves: skipped (%s; pass --data DIR) ==\n",
                std::string(loaded.status().message()).c_str());
    return 1;
  }
  std::vector<Curve> curves = *std::move(loaded);
  FillControls(curves);
  std::set<double> sizes;
  int complete = 0;
  for (const Curve& c : curves) {
    sizes.insert(c.controls.params);
    complete += c.complete;
  }
  std::printf("\n== Real curves: MultiPowerLaw (Luo et al. 2025, MIT licence) ==\n");
  std::printf("%zu curves (%d complete), sizes 25M/100M/400M x 9 schedules, one peak LR.\n",
              curves.size(), complete);
  std::printf("Leave one size out: fit on the two other sizes, predict the third.\n");
  std::printf("Fit range [%.2f, 1]; alignment window from %s.\n", options.fit_x_min,
              options.window_from_half ? "max(warmup, x/2)" : "the end of warmup");

  std::map<std::string, std::map<double, Acc>> acc;
  const std::vector<std::string> who = {"form(per-schedule)", "form(pooled)",  "form(pooled,fit.2)",
                                        "empirical",          "extrapolation", "current loss"};
  std::map<std::string, Tally> tallies;
  std::vector<std::string> order;
  const std::vector<double> defaults = predictor::PolicyConfig().milestones;
  const std::string defaults_prefix = "@" + absl::StrJoin(defaults, "/") + " ";
  for (double held : sizes) {
    std::vector<Curve> train, test;
    for (const Curve& c : curves) {
      if (!c.complete) continue;
      (c.controls.params == held ? test : train).push_back(c);
    }
    predictor::FitOptions fo;
    fo.x_min = options.fit_x_min;
    auto model = predictor::FitModel(train, fo, 2);
    if (!model.ok()) return 1;
    predictor::PredictorModel pooled = *model;
    pooled.calibrations = {pooled.calibrations.back()};
    auto per_schedule = std::make_shared<predictor::ModelReferenceSource>(*model);
    predictor::FitOptions early_options = fo;
    early_options.x_min = 0.2;  // [C]'s range, the default before 2026-12-04.
    auto early = predictor::FitForm(train, early_options);
    if (!early.ok()) return 1;
    predictor::PredictorModel early_model;
    early->schedule_key = predictor::kPooledKey;
    early_model.calibrations = {*early};
    auto early_src = std::make_shared<predictor::ModelReferenceSource>(early_model);
    auto pooled_src = std::make_shared<predictor::ModelReferenceSource>(pooled);
    for (const Curve& c : test) {
      const double truth = predictor::FinalLoss(c.points);
      std::vector<Curve> same;
      for (const Curve& t : train) {
        if (t.controls.ScheduleKey() == c.controls.ScheduleKey() &&
            t.controls.total_steps == c.controls.total_steps) {
          same.push_back(t);
        }
      }
      std::shared_ptr<const predictor::Reference> empirical;
      if (auto emp = predictor::EmpiricalReference::FromCurves(same); emp.ok()) {
        empirical = std::move(*emp);
      }
      for (double x : {0.1, 0.15, 0.2, 0.3}) {
        const auto prefix = predictor::PrefixTo(c.points, x);
        double w = c.controls.schedule.warmup_fraction;
        for (const std::string& name : who) {
          Acc& a = acc[name][x];
          double pred = NAN, lo = NAN, hi = NAN;
          if (name == "current loss") {
            pred = prefix.empty() ? NAN : predictor::CurrentLoss(prefix, x, 0.01);
          } else if (name == "extrapolation") {
            auto f = predictor::FitPowerLaw(prefix, std::max(0.05, std::min(w, x - 0.03)));
            if (f.ok()) pred = f->At(1.0);
          } else {
            std::shared_ptr<const predictor::Reference> ref;
            if (name == "empirical") {
              ref = empirical;
            } else {
              auto r = (name == "form(pooled)"         ? pooled_src
                        : name == "form(pooled,fit.2)" ? early_src
                                                       : per_schedule)
                           ->ReferenceFor(c.controls);
              if (r.ok()) ref = *r;
            }
            if (ref != nullptr) {
              predictor::AlignOptions ao;
              if (options.window_from_half) w = std::max(w, x / 2);
              auto p = predictor::AlignAndPredict(prefix, *ref, w, ao);
              if (p.ok()) {
                pred = p->final_loss;
                lo = p->lower;
                hi = p->upper;
              }
            }
          }
          if (!std::isfinite(pred)) {
            ++a.failed;
            continue;
          }
          a.errs.push_back(std::abs(pred - truth) / truth);
          if (std::isfinite(lo)) {
            ++a.intervals;
            a.covered += lo <= truth && truth <= hi;
          }
        }
      }
    }
    // Schedule choice among this size's 24k-step runs, judged with references from the others.
    std::vector<Curve> group;
    for (const Curve& c : test) {
      if (c.controls.total_steps == 24000) group.push_back(c);
    }
    for (const std::vector<double>& ms :
         std::vector<std::vector<double>>{defaults, {0.2}, {0.3}, {0.1, 0.2, 0.3}}) {
      for (const Contender& k : Lineup(ms, static_cast<int>(group.size()), per_schedule, nullptr)) {
        const std::string label = "@" + absl::StrJoin(ms, "/") + " " + k.label;
        if (!tallies.count(label)) order.push_back(label);
        auto policy = predictor::MakePolicy(k.config);
        if (!policy.ok()) continue;
        predictor::ReplayOptions ro;
        ro.milestones = k.milestones;
        auto r = predictor::Replay(group, **policy, ro);
        if (!r.ok()) continue;
        tallies[label].Add(*r, 0);
        if (ms == defaults) tallies[label].AddEveryTrial(group, k.config, k.milestones);
      }
    }
  }
  std::printf("\nPrediction of the final loss (%d held-out curves per predictor and milestone):\n",
              complete);
  std::printf("  %-20s %5s %12s %10s %10s %8s\n", "predictor", "at", "median|err|", "p90|err|",
              "coverage", "no-pred");
  for (const std::string& name : who) {
    for (double x : {0.1, 0.15, 0.2, 0.3}) {
      Acc& a = acc[name][x];
      std::sort(a.errs.begin(), a.errs.end());
      const double p90 = a.errs.empty() ? NAN : a.errs[a.errs.size() * 9 / 10];
      std::printf(
          "  %-20s %4.0f%% %11.2f%% %9.2f%% %10s %8d\n", name.c_str(), 100 * x,
          100 * Median(a.errs), 100 * p90,
          a.intervals ? absl::StrFormat("%.0f%%", 100.0 * a.covered / a.intervals).c_str() : "-",
          a.failed);
    }
  }
  std::printf("\nSchedule choice per size among the 4 schedules of 24k steps (3 groups):\n");
  PrintTallies(order, tallies, false);
  for (const auto& [label, t] : tallies) {
    SummaryPolicy p;
    if (absl::StartsWith(label, defaults_prefix) &&
        SummaryPolicyFor(label.substr(defaults_prefix.size()), &p)) {
      RecordAtDefaults("public (Luo), schedules", p, t);
    }
  }

  // Collapse quality across sizes (no seeds in the data, so no sigma floor).
  std::printf("\nCollapse across sizes, mean Delta(x) over x in [0.2, 1] (METHOD.md §2):\n");
  std::map<std::string, std::vector<Curve>> by_schedule;
  for (const Curve& c : curves) {
    if (c.complete) {
      by_schedule[absl::StrFormat("%s/%d", c.controls.ScheduleKey(), c.controls.total_steps)]
          .push_back(c);
    }
  }
  std::vector<double> grid;
  for (int i = 20; i <= 100; i += 5) grid.push_back(i / 100.0);
  for (const auto& [key, group] : by_schedule) {
    auto q = predictor::MeasureCollapse(group, grid);
    if (!q.ok()) continue;
    double mean = 0;
    int k = 0;
    for (double d : q->delta) {
      if (std::isfinite(d)) {
        mean += d;
        ++k;
      }
    }
    mean /= std::max(1, k);
    std::printf("  %-40s %zu sizes  Delta %.3f%%\n", key.c_str(), group.size(), 100 * mean);
  }
  return 0;
}

}  // namespace augur::bench
