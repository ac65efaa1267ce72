#include "dashboard/api.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/script_json.h"
#include "cli/sweep_view.h"
#include "common/status_macros.h"
#include "dashboard/views.h"

namespace augur::dashboard {
namespace {

using nlohmann::json;

// L(T) of the normalized view: the last loss of a completed trial, else the predicted final
// loss; 0 when neither is known (the trial is left out of the normalized view).
double FinalForNormalizing(const v1::Trial& t) {
  if (t.state() == v1::TRIAL_STATE_COMPLETED && t.has_last_point()) {
    return t.last_point().train_loss();
  }
  return t.has_prediction() ? t.prediction().final_loss() : 0;
}

// The band drawn around the reference in the normalized view: the median of the trials'
// measured deviations (Prediction.deviation), so that trials outside it deviate more than
// most; null before any was measured.
json MedianDeviation(const v1::GetSweepResponse& sweep) {
  std::vector<double> d;
  for (const v1::RankingRow& row : sweep.ranking()) {
    if (row.trial().has_prediction() && row.trial().prediction().deviation() > 0) {
      d.push_back(row.trial().prediction().deviation());
    }
  }
  if (d.empty()) return nullptr;
  std::nth_element(d.begin(), d.begin() + static_cast<long>(d.size() / 2), d.end());
  return Round(d[d.size() / 2]);
}

// `shows_end`: `c` reaches the trial's last point (a zoomed range may stop before it).
json CurveJson(const v1::Trial& t, const std::string& label, const Curve& c, bool normalized,
               double final_loss, bool shows_end = true) {
  json x = json::array(), y = json::array();
  for (size_t i = 0; i < c.loss.size(); ++i) {
    x.push_back(Round(normalized ? c.fraction[i] : c.tokens[i]));
    y.push_back(Round(normalized ? c.loss[i] / final_loss : c.loss[i]));
  }
  // Plots set their y-range from the points after warmup (cli::PlotRangeFromFraction).
  const double from = cli::PlotRangeFromFraction(t);
  json range_from_x = nullptr;
  for (size_t i = 0; i < c.fraction.size(); ++i) {
    if (c.fraction[i] >= from) {
      range_from_x = x[i];
      break;
    }
  }
  json end = nullptr;
  if (shows_end && cli::IsTerminal(t.state()) && t.state() != v1::TRIAL_STATE_COMPLETED &&
      !c.loss.empty()) {
    end = {{"x", x.back()},
           {"y", y.back()},
           {"state", cli::TrialStateName(t.state())},
           {"reason", cli::StopReason(t)}};
  }
  return {{"trial_id", t.trial_id()},
          {"short_id", cli::ShortTrialId(t.trial_id())},
          {"label", label},
          {"state", cli::TrialStateName(t.state())},
          {"is_reference", t.is_reference()},
          {"points_total", c.points_total},
          {"x", std::move(x)},
          {"y", std::move(y)},
          {"range_from_x", std::move(range_from_x)},
          {"end", std::move(end)}};
}

}  // namespace

std::string FullTrialId(const std::string& sweep_id, const std::string& trial) {
  return trial.find('/') == std::string::npos ? absl::StrCat(sweep_id, "/", trial) : trial;
}

DashboardApi::DashboardApi(Scheduler* scheduler) : scheduler_(scheduler), cache_(scheduler) {}

int64_t DashboardApi::WaitForChange(int64_t seen, absl::Duration timeout) {
  return scheduler_->WaitForChange(seen, timeout);
}

absl::StatusOr<json> DashboardApi::Sweeps(int page_size, const std::string& page_token) {
  ASSIGN_OR_RETURN(SweepPage page, scheduler_->ListSweeps(page_size, page_token));
  std::vector<json> bests;
  for (const v1::Sweep& s : page.sweeps) {
    absl::StatusOr<v1::GetSweepResponse> top = scheduler_->GetSweep(s.sweep_id(), {0, 1, 0, 0});
    bests.push_back(top.ok() && top->ranking_size() > 0
                        ? RowJson(top->ranking(0), cli::HyperparameterText(top->ranking(0).trial()))
                        : json(nullptr));
  }
  return SweepListJson(page, bests);
}

absl::StatusOr<json> DashboardApi::Sweep(const std::string& sweep_id) {
  ASSIGN_OR_RETURN(v1::GetSweepResponse sweep, scheduler_->GetSweep(sweep_id));
  return SweepJson(sweep);
}

absl::StatusOr<std::string> DashboardApi::Curves(const std::string& sweep_id,
                                                 const CurveQuery& query) {
  ASSIGN_OR_RETURN(v1::GetSweepResponse sweep, scheduler_->GetSweep(sweep_id, {0, -1, 0, 0}));
  std::set<std::string> wanted;
  for (const std::string& t : query.trials) wanted.insert(FullTrialId(sweep_id, t));
  const std::vector<v1::RankingRow> ranking(sweep.ranking().begin(), sweep.ranking().end());
  const cli::Varying varying = cli::FindVarying(ranking);
  std::string out =
      json{{"sweep_id", sweep_id},
           {"x_axis", query.normalized ? "fraction" : "tokens"},
           {"y_axis", query.normalized ? "normalized_loss" : "train_loss"},
           {"points_per_curve", query.points},
           {"band", query.normalized ? MedianDeviation(sweep) : json(nullptr)},
           {"x_range", query.Ranged() ? json::array({query.x_from, query.x_to}) : json(nullptr)}}
          .dump();
  out.pop_back();  // The closing brace: the curves follow.
  out += ",\"curves\":[";
  bool first = true;
  for (const v1::RankingRow& row : ranking) {
    const v1::Trial& t = row.trial();
    if (!wanted.empty() && !wanted.count(t.trial_id())) continue;
    const double final_loss = FinalForNormalizing(t);
    if (query.normalized && !(final_loss > 0)) continue;
    absl::StatusOr<Curve> curve = query.points == 0 || query.Ranged() ? cache_.ReadAll(t.trial_id())
                                                                      : cache_.Get(t, query.points);
    if (!curve.ok()) return curve.status();
    bool shows_end = true;
    if (query.Ranged()) {
      const XAxis axis = query.normalized ? XAxis::kFraction : XAxis::kTokens;
      const std::vector<double>& x = query.normalized ? curve->fraction : curve->tokens;
      shows_end = x.empty() || x.back() <= query.x_to;
      *curve = InRange(*curve, axis, query.x_from, query.x_to, query.points);
    }
    if (!first) out += ',';
    first = false;
    out += CurveJson(t, cli::HyperparameterText(t, varying), *curve, query.normalized, final_loss,
                     shows_end)
               .dump();
  }
  out += "]}";
  return out;
}

absl::StatusOr<json> DashboardApi::Trial(const std::string& sweep_id, const std::string& trial,
                                         size_t points) {
  const std::string id = FullTrialId(sweep_id, trial);
  ASSIGN_OR_RETURN(v1::GetSweepResponse sweep, scheduler_->GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<v1::Trial> trials, scheduler_->ListTrials(sweep_id));
  auto it = std::find_if(trials.begin(), trials.end(),
                         [&](const v1::Trial& t) { return t.trial_id() == id; });
  if (it == trials.end()) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " has no trial ", trial));
  }
  v1::Trial ranked = *it;
  for (const v1::RankingRow& row : sweep.ranking()) {
    if (row.trial().trial_id() == id) ranked = row.trial();
  }
  ASSIGN_OR_RETURN(Curve curve, points == 0 ? cache_.ReadAll(id) : cache_.Get(ranked, points));
  json result = TrialJson(sweep, *it,
                          CurveJson(ranked, cli::HyperparameterText(ranked), curve,
                                    /*normalized=*/false, 0));
  result["config"] = cli::ScriptJson(it->config());
  return result;
}

absl::StatusOr<json> DashboardApi::Act(const std::string& sweep_id, const std::string& trial,
                                       TrialAction action, const std::string& reason,
                                       const std::string& who) {
  const std::string id = FullTrialId(sweep_id, trial);
  if (id.rfind(sweep_id + "/", 0) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(trial, " is not a trial of ", sweep_id));
  }
  const std::string why =
      absl::StrCat(reason.empty() ? "from the dashboard" : reason, " (by ", who, ")");
  absl::StatusOr<v1::Trial> done = action == TrialAction::kStop ? scheduler_->StopTrial(id, why)
                                   : action == TrialAction::kPause
                                       ? scheduler_->PauseTrial(id, why)
                                       : scheduler_->ResumeTrial(id, why);
  if (!done.ok()) return done.status();
  return json{{"trial", cli::ScriptJson(*done)}};
}

absl::StatusOr<json> DashboardApi::Tag(const std::string& sweep_id,
                                       const std::vector<std::string>& add,
                                       const std::vector<std::string>& remove,
                                       const std::string& who) {
  v1::AnnotateSweepRequest req;
  req.set_sweep_id(sweep_id);
  for (const std::string& t : add) req.add_add_tags(t);
  for (const std::string& t : remove) req.add_remove_tags(t);
  ASSIGN_OR_RETURN(v1::Sweep sweep, scheduler_->AnnotateSweep(req, who));
  sweep.mutable_spec()->clear_source_yaml();
  return json{{"sweep", cli::ScriptJson(sweep)}};
}

}  // namespace augur::dashboard
