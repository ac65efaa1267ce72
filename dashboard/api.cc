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

// Reference runs rank last (ranking.h): the normalized view looks for them among this many
// rows at the end of the ranking.
constexpr int64_t kReferenceTail = 32;
// The sweep's events are drawn from its latest decisions, at most this many.
constexpr int64_t kEventDecisions = 500;

absl::Status CheckPage(const TrialPageQuery& page) {
  if (page.offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat("offset must be >= 0 (got ", page.offset, ")"));
  }
  if (page.page_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be in [1, ", kMaxTrialPage, "] (got ", page.page_size, ")"));
  }
  return absl::OkStatus();
}

int64_t PageSize(const TrialPageQuery& page) { return std::min(page.page_size, kMaxTrialPage); }

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
json MedianDeviation(const std::vector<v1::RankingRow>& rows) {
  std::vector<double> d;
  for (const v1::RankingRow& row : rows) {
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

absl::StatusOr<json> DashboardApi::Sweep(const std::string& sweep_id, const TrialPageQuery& page) {
  RETURN_IF_ERROR(CheckPage(page));
  const int64_t size = PageSize(page);
  ASSIGN_OR_RETURN(v1::GetSweepResponse sweep,
                   scheduler_->GetSweep(sweep_id, {page.offset, size, 0, kEventDecisions}));
  if (sweep.total_decisions() > kEventDecisions) {  // The events are the latest ones.
    ASSIGN_OR_RETURN(
        v1::GetSweepResponse tail,
        scheduler_->GetSweep(sweep_id,
                             {0, 0, sweep.total_decisions() - kEventDecisions, kEventDecisions}));
    sweep.mutable_decisions()->Swap(tail.mutable_decisions());
  }
  return SweepJson(sweep, page.offset, size);
}

absl::StatusOr<std::vector<v1::RankingRow>> DashboardApi::CurveTrials(const std::string& sweep_id,
                                                                      const CurveQuery& query) {
  std::vector<v1::RankingRow> rows;
  if (!query.trials.empty()) {
    if (query.trials.size() > static_cast<size_t>(kMaxTrialPage)) {
      return absl::InvalidArgumentError(absl::StrCat("trials lists at most ", kMaxTrialPage,
                                                     " trials (got ", query.trials.size(), ")"));
    }
    std::set<std::string> seen;
    for (const std::string& t : query.trials) {
      const std::string id = FullTrialId(sweep_id, t);
      if (!seen.insert(id).second) continue;
      absl::StatusOr<v1::Trial> trial = scheduler_->GetTrial(id);
      if (absl::IsNotFound(trial.status()) || (trial.ok() && trial->sweep_id() != sweep_id)) {
        continue;  // Not of the sweep: left out, as the trials of a page that moved on would be.
      }
      if (!trial.ok()) return trial.status();
      *rows.emplace_back().mutable_trial() = std::move(*trial);
    }
    // None found: NOT_FOUND if the sweep is unknown too.
    if (rows.empty()) RETURN_IF_ERROR(scheduler_->SweepOwner(sweep_id).status());
    return rows;
  }
  RETURN_IF_ERROR(CheckPage(query.page));
  const int64_t size = PageSize(query.page);
  ASSIGN_OR_RETURN(v1::GetSweepResponse page,
                   scheduler_->GetSweep(sweep_id, {query.page.offset, size, 0, 0}));
  rows.assign(page.ranking().begin(), page.ranking().end());
  const int64_t end = query.page.offset + size;
  if (query.normalized && end < page.total_trials()) {  // The reference runs are further down.
    const int64_t from = std::max(end, page.total_trials() - kReferenceTail);
    ASSIGN_OR_RETURN(v1::GetSweepResponse tail,
                     scheduler_->GetSweep(sweep_id, {from, kReferenceTail, 0, 0}));
    for (const v1::RankingRow& row : tail.ranking()) {
      if (row.trial().is_reference()) rows.push_back(row);
    }
  }
  return rows;
}

absl::StatusOr<std::string> DashboardApi::Curves(const std::string& sweep_id,
                                                 const CurveQuery& query) {
  ASSIGN_OR_RETURN(const std::vector<v1::RankingRow> ranking, CurveTrials(sweep_id, query));
  const cli::Varying varying = cli::FindVarying(ranking);
  std::string out =
      json{{"sweep_id", sweep_id},
           {"x_axis", query.normalized ? "fraction" : "tokens"},
           {"y_axis", query.normalized ? "normalized_loss" : "train_loss"},
           {"points_per_curve", query.points},
           {"band", query.normalized ? MedianDeviation(ranking) : json(nullptr)},
           {"x_range", query.Ranged() ? json::array({query.x_from, query.x_to}) : json(nullptr)},
           {"page", query.trials.empty()
                        ? json{{"offset", query.page.offset}, {"page_size", PageSize(query.page)}}
                        : json(nullptr)}}
          .dump();
  out.pop_back();  // The closing brace: the curves follow.
  out += ",\"curves\":[";
  bool first = true;
  for (const v1::RankingRow& row : ranking) {
    const v1::Trial& t = row.trial();
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
  absl::StatusOr<v1::Trial> t = scheduler_->GetTrial(id);
  if (absl::IsNotFound(t.status()) || (t.ok() && t->sweep_id() != sweep_id)) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " has no trial ", trial));
  }
  if (!t.ok()) return t.status();
  ASSIGN_OR_RETURN(std::vector<v1::Decision> decisions, scheduler_->ListTrialDecisions(id));
  ASSIGN_OR_RETURN(Curve curve, points == 0 ? cache_.ReadAll(id) : cache_.Get(*t, points));
  json result = TrialJson(
      *t, decisions, CurveJson(*t, cli::HyperparameterText(*t), curve, /*normalized=*/false, 0));
  result["config"] = cli::ScriptJson(t->config());
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
