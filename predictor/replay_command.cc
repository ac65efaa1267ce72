#include "predictor/replay_command.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "predictor/alignment.h"
#include "predictor/comparison_group.h"
#include "predictor/policy.h"
#include "predictor/replay.h"

namespace augur::predictor {
namespace {

// Says, per milestone, how many runs are logged too sparsely to be predicted there (they cannot
// be stopped there, and a sweep of them costs its whole compute), and from where all can be.
void NoteSparseLogs(const std::vector<Curve>& curves, const std::vector<double>& milestones,
                    const AlignOptions& align, std::ostream& err) {
  std::vector<double> earliest;  // Per curve; 1 when it can never be aligned.
  for (const Curve& c : curves) {
    const double e = EarliestAlignment(c.points, align);
    earliest.push_back(std::isfinite(e) ? e : 1.0);
  }
  const double all_from =
      earliest.empty() ? 0 : *std::max_element(earliest.begin(), earliest.end());
  for (double m : milestones) {
    const auto sparse =
        std::count_if(earliest.begin(), earliest.end(), [m](double e) { return e > m + 1e-9; });
    if (sparse == 0) continue;
    err << absl::StrFormat(
        "augur-predict: note: %d of %d runs log fewer than %d points between %g and %g of "
        "training: the alignment cannot predict them at milestone %g, so they run on past it "
        "(all can be predicted from %.3g); give later --milestones or log more often\n",
        sparse, curves.size(), align.min_points, align.min_window_start, m, m, all_from);
  }
}

absl::StatusOr<std::vector<double>> Milestones(const Args& a) {
  std::vector<double> ms;
  auto it = a.values.find("milestones");
  const std::string text =
      it == a.values.end() ? absl::StrJoin(PolicyConfig{}.milestones, ",") : it->second;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    double v;
    if (!absl::SimpleAtod(part, &v) || !(v > 0 && v <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--milestones: '", part, "' is not a fraction in (0, 1]"));
    }
    ms.push_back(v);
  }
  return ms;
}

// A number, or null for NaN and infinities (JSON has neither).
nlohmann::json Finite(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// Each complete run's final value of `column` (e.g. val_loss), by run id.
absl::StatusOr<std::map<std::string, double>> ScoreFinals(const std::string& path,
                                                          const std::string& column,
                                                          std::ostream& err) {
  CurveCsvOptions options;
  options.loss_column = column;
  ASSIGN_OR_RETURN(std::vector<Curve> curves, ReadCurves(path, options, err));
  std::map<std::string, double> finals;
  for (const Curve& c : curves) {
    if (c.complete && !c.points.empty()) finals[c.id] = FinalLoss(c.points);
  }
  return finals;
}

nlohmann::json ResultJson(const ReplayResult& r) {
  nlohmann::json j = {{"policy", r.policy},
                      {"group", r.group},
                      {"compute_fraction", r.compute_fraction},
                      {"chosen", r.chosen_id},
                      {"chosen_final_loss", r.chosen_final_loss},
                      {"best", r.best_id},
                      {"best_final_loss", r.best_final_loss},
                      {"regret", r.regret},
                      {"skipped", r.skipped}};
  nlohmann::json errors = nlohmann::json::array();
  for (const MilestoneError& e : r.errors) {
    errors.push_back({{"milestone", e.milestone},
                      {"median_abs_rel_error", e.median_abs_rel_error},
                      {"predictions", e.predictions}});
  }
  j["prediction_errors"] = errors;
  nlohmann::json trials = nlohmann::json::array();
  for (const TrialOutcome& t : r.trials) {
    nlohmann::json decisions = nlohmann::json::array();
    for (const MilestoneDecision& d : t.decisions) {
      decisions.push_back({{"milestone", d.milestone},
                           {"action", d.stop ? "stop" : "continue"},
                           {"predicted_final_loss", Finite(d.predicted_final_loss)},
                           {"lower", Finite(d.lower)},
                           {"upper", Finite(d.upper)},
                           {"compared_loss", Finite(d.compared_loss)},
                           {"chance_better", Finite(d.chance_better)},
                           {"reason", d.reason}});
    }
    nlohmann::json trial = {{"id", t.id},
                            {"stop_fraction", t.stop_fraction},
                            {"stopped", t.stopped},
                            {"diverged", t.diverged},
                            {"true_final_loss", Finite(t.true_final_loss)},
                            {"reason", t.reason},
                            {"decisions", decisions}};
    if (!std::isnan(t.score_final_loss)) trial["score_final_loss"] = Finite(t.score_final_loss);
    trials.push_back(trial);
  }
  j["trials"] = trials;
  return j;
}

}  // namespace

absl::Status ReplayCommand(const Args& a, std::ostream& out, std::ostream& err) {
  if (absl::Status s = RequireOneInput(a, "replay"); !s.ok()) return s;
  const bool all = a.switches.count("all-policies") > 0;
  if (all && a.values.count("policy") > 0) {
    return absl::InvalidArgumentError("replay takes --policy P or --all-policies, not both");
  }
  auto json_output = JsonOutput(a);
  if (!json_output.ok()) return json_output.status();
  const bool json = *json_output;
  auto ms = Milestones(a);
  if (!ms.ok()) return ms.status();
  auto refs = References(a, err);
  if (!refs.ok()) return refs.status();
  PolicyConfig base;
  base.milestones = *ms;
  base.references = refs->source;
  if (a.switches.count("no-interval") > 0) base.rule = PolicyConfig::Rule::kRank;
  struct NumFlag {
    const char* name;
    double* dst;
  };
  double median_min = base.median_min_samples, keep_top = base.keep_top;
  for (NumFlag f : {NumFlag{"keep", &base.keep_fraction},
                    {"tolerance", &base.tolerance},
                    {"risk", &base.risk},
                    {"keep-top", &keep_top},
                    {"asha-rf", &base.asha_reduction_factor},
                    {"asha-grace", &base.asha_grace_fraction},
                    {"median-min-samples", &median_min},
                    {"topk-k", &keep_top},
                    {"topk-fraction", &base.topk_fraction}}) {
    auto v = Number(a, f.name, *f.dst);
    if (!v.ok()) return v.status();
    *f.dst = *v;
  }
  base.median_min_samples = static_cast<int>(median_min);
  base.keep_top = static_cast<int>(keep_top);
  std::vector<std::string> names =
      all ? PolicyNames()
          : std::vector<std::string>{a.values.count("policy") > 0 ? a.values.at("policy")
                                                                  : PolicyConfig{}.name};
  // Validate every policy before printing anything.
  for (const std::string& name : names) {
    PolicyConfig cfg = base;
    cfg.name = name;
    if (name == "collapse" && cfg.references == nullptr && all) continue;
    if (auto p = MakePolicy(cfg); !p.ok()) return p.status();
  }
  auto curves = ReadCurves(a.positional[0], {}, err);
  if (!curves.ok()) return curves.status();
  std::map<std::string, double> score_finals;
  if (auto it = a.values.find("score-on"); it != a.values.end()) {
    auto finals = ScoreFinals(a.positional[0], it->second, err);
    if (!finals.ok()) return finals.status();
    score_finals = std::move(*finals);
  }
  refs->PooledKeys(*curves, err);
  if (const int named = NameComparisonGroups(*curves); named > 0) {
    err << absl::StrFormat(
        "augur-predict: note: the runs without a group column span %d comparison groups (model "
        "size, TPP, schedule): each is replayed as a sweep of its own, as augur run ranks them\n",
        named);
  }
  if (std::find(names.begin(), names.end(), "collapse") != names.end() ||
      std::find(names.begin(), names.end(), "extrapolation") != names.end()) {
    NoteSparseLogs(*curves, *ms, base.align, err);
  }
  std::map<std::string, std::vector<Curve>> groups;
  for (const Curve& c : *curves) groups[c.group].push_back(c);

  nlohmann::json results = nlohmann::json::array();
  struct Total {
    int groups = 0, best = 0;
    double compute = 0, regret = 0, worst = 0;
  };
  std::map<std::string, Total> totals;  // Per policy, over the groups (text output).
  for (const auto& [group, sweep] : groups) {
    if (!json) {
      out << absl::StrFormat("group %s: %d runs, milestones %s\n",
                             group.empty() ? "(default)" : group, sweep.size(),
                             absl::StrJoin(*ms, ","));
      out << absl::StrFormat("%-14s %8s  %-28s %10s  %-28s %10s %9s  %s\n", "policy", "compute",
                             "chosen", "final", "best", "final", "regret",
                             "median |err| by milestone");
    }
    for (const std::string& name : names) {
      PolicyConfig cfg = base;
      cfg.name = name;
      if (name == "collapse" && cfg.references == nullptr && all) {
        if (!json) out << absl::StrFormat("%-14s skipped: needs --model or --references\n", name);
        continue;
      }
      auto policy = MakePolicy(cfg);
      if (!policy.ok()) return policy.status();
      ReplayOptions ro;
      ro.milestones = *ms;
      ro.score_finals = score_finals;
      auto r = Replay(sweep, **policy, ro);
      if (!r.ok()) return r.status();
      if (json) {
        nlohmann::json j = ResultJson(*r);
        if (name == "collapse" && refs->model.has_value()) {
          j["pooled_calibration_for"] = KeysUsingPooled(*refs->model, sweep);
        }
        results.push_back(j);
        continue;
      }
      std::vector<std::string> errs;
      for (const MilestoneError& e : r->errors) {
        if (e.predictions > 0) {
          errs.push_back(absl::StrFormat("%.2g:%.2f%%", e.milestone, 100 * e.median_abs_rel_error));
        }
      }
      Total& t = totals[name];
      ++t.groups;
      t.best += r->chosen_id == r->best_id;
      t.compute += r->compute_fraction;
      const double regret = std::isfinite(r->regret) ? r->regret : 0.0;
      t.regret += regret;
      t.worst = std::max(t.worst, regret);
      out << absl::StrFormat("%-14s %7.1f%%  %-28s %10.4f  %-28s %10.4f %9.4f  %s\n", name,
                             100 * r->compute_fraction, r->chosen_id, r->chosen_final_loss,
                             r->best_id, r->best_final_loss, r->regret,
                             errs.empty() ? "-" : absl::StrJoin(errs, " "));
      if (!r->skipped.empty() && name == names.front()) {
        out << "  skipped (incomplete, truth unknown): " << absl::StrJoin(r->skipped, ", ") << "\n";
      }
    }
  }
  if (json) {
    out << results.dump(2) << "\n";
  } else if (groups.size() > 1) {
    out << absl::StrFormat("all %d groups:\n%-14s %8s  %-10s %12s %12s\n", groups.size(), "policy",
                           "compute", "best", "mean regret", "max regret");
    for (const std::string& name : names) {
      if (!totals.contains(name)) continue;
      const Total& t = totals.at(name);
      out << absl::StrFormat("%-14s %7.1f%%  %4d/%-5d %12.4f %12.4f\n", name,
                             100 * t.compute / t.groups, t.best, t.groups, t.regret / t.groups,
                             t.worst);
    }
  }
  return absl::OkStatus();
}

}  // namespace augur::predictor
