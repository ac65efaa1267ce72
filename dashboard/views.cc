#include "dashboard/views.h"

#include <algorithm>
#include <cmath>

#include "cli/script_json.h"
#include "cli/sweep_view.h"

namespace augur::dashboard {
namespace {

using nlohmann::json;

json Number(double v) { return std::isfinite(v) ? json(Round(v)) : json(nullptr); }

double Progress(const v1::Trial& t) {
  return t.state() == v1::TRIAL_STATE_COMPLETED ? 1.0 : t.last_point().fraction();
}

json SweepOnly(v1::Sweep sweep) {
  sweep.mutable_spec()->clear_source_yaml();
  return cli::ScriptJson(sweep);
}

double SweepProgress(const v1::Sweep& s) {
  return s.tokens_full() > 0 ? std::min(1.0, static_cast<double>(s.tokens_spent()) /
                                                 static_cast<double>(s.tokens_full()))
                             : 0.0;
}

// Stops, pauses and trials that ended badly, newest first: stops at their decision's time,
// the others at the trial's last change of state; events without a time (a trial whose state
// changed before the store kept it) come last.
json EventsJson(const v1::GetSweepResponse& sweep) {
  json events = json::array();
  for (const v1::Decision& d : sweep.decisions()) {
    if (d.action() != v1::DECISION_ACTION_STOP) continue;
    events.push_back({{"kind", "stop"},
                      {"trial_id", d.trial_id()},
                      {"short_id", cli::ShortTrialId(d.trial_id())},
                      {"unix_ms", d.decided_unix_ms()},
                      {"at_fraction", Number(d.milestone_fraction())},
                      {"reason", d.reason()}});
  }
  for (const v1::RankingRow& row : sweep.ranking()) {
    const v1::Trial& t = row.trial();
    const bool bad = t.state() == v1::TRIAL_STATE_FAILED || t.state() == v1::TRIAL_STATE_DIVERGED;
    if (!bad && t.state() != v1::TRIAL_STATE_PAUSED && t.state() != v1::TRIAL_STATE_CANCELLED) {
      continue;
    }
    events.push_back({{"kind", cli::TrialStateName(t.state())},
                      {"trial_id", t.trial_id()},
                      {"short_id", cli::ShortTrialId(t.trial_id())},
                      {"unix_ms", t.state_changed_unix_ms()},
                      {"at_fraction", Number(t.last_point().fraction())},
                      {"reason", t.message()}});
  }
  std::stable_sort(events.begin(), events.end(), [](const json& a, const json& b) {
    return a["unix_ms"].get<int64_t>() > b["unix_ms"].get<int64_t>();
  });
  return events;
}

}  // namespace

double Round(double v, int digits) {
  if (!std::isfinite(v) || v == 0) return v;
  const double scale =
      std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

std::vector<std::string> SearchedParameters(const std::vector<v1::RankingRow>& ranking) {
  const cli::Varying v = cli::FindVarying(ranking);
  std::vector<std::string> out;
  if (v.size) out.push_back("model_size");
  if (v.lr) out.push_back("peak_lr");
  if (v.tau) out.push_back("tau");
  if (v.wd) out.push_back("weight_decay");
  if (v.batch) out.push_back("batch_sequences");
  if (v.seed) out.push_back("seed");
  return out;
}

json FinalJson(const v1::Trial& t) {
  if (t.state() == v1::TRIAL_STATE_COMPLETED && t.has_last_point()) {
    const v1::LossPoint& p = t.last_point();
    const double loss = p.has_val_loss() ? p.val_loss() : p.train_loss();
    return {{"loss", Number(loss)}, {"kind", "actual"}, {"low", nullptr}, {"high", nullptr}};
  }
  if (t.has_prediction() && t.prediction().final_loss() > 0) {
    const v1::Interval& i = t.prediction().final_loss_interval();
    const bool interval = i.high() > 0;
    return {{"loss", Number(t.prediction().final_loss())},
            {"kind", "predicted"},
            {"low", interval ? Number(i.low()) : json(nullptr)},
            {"high", interval ? Number(i.high()) : json(nullptr)}};
  }
  return nullptr;
}

json RowJson(const v1::RankingRow& row, const std::string& label) {
  const v1::Trial& t = row.trial();
  v1::Trial slim = t;  // A row is one of up to thousands: its config is on the trial page.
  slim.clear_config();
  const bool measured = t.has_prediction() && (t.prediction().deviation() != 0 ||
                                               t.prediction().deviation_in_sigmas() != 0);
  const bool ended = cli::IsTerminal(t.state()) && t.state() != v1::TRIAL_STATE_COMPLETED;
  return {{"rank", row.rank() > 0 ? json(row.rank()) : json(nullptr)},
          {"trial", cli::ScriptJson(slim)},
          {"short_id", cli::ShortTrialId(t.trial_id())},
          {"label", label},
          {"progress", Number(Progress(t))},
          {"loss", t.has_last_point() ? Number(t.last_point().train_loss()) : json(nullptr)},
          {"final", FinalJson(t)},
          {"deviation", measured ? Number(t.prediction().deviation()) : json(nullptr)},
          {"deviation_in_sigmas", measured && t.prediction().deviation_in_sigmas() > 0
                                      ? Number(t.prediction().deviation_in_sigmas())
                                      : json(nullptr)},
          {"tokens_per_second", Number(t.tokens_per_second())},
          {"eta_seconds", Number(cli::TrialEtaSeconds(t))},
          {"state", cli::TrialStateName(t.state())},
          {"why_stopped", cli::StopReason(t)},
          {"ended_at_fraction", ended ? Number(t.last_point().fraction()) : json(nullptr)}};
}

json SweepJson(const v1::GetSweepResponse& sweep, int64_t offset, int64_t page_size) {
  const std::vector<v1::RankingRow> ranking(sweep.ranking().begin(), sweep.ranking().end());
  const int64_t end = offset + static_cast<int64_t>(ranking.size());
  const cli::Varying varying = cli::FindVarying(ranking);
  json rows = json::array();
  for (const v1::RankingRow& row : ranking) {
    rows.push_back(RowJson(row, cli::HyperparameterText(row.trial(), varying)));
  }
  json sweep_json = SweepOnly(sweep.sweep());
  return {{"sweep", sweep_json},
          {"progress", Number(SweepProgress(sweep.sweep()))},
          {"searched", SearchedParameters(ranking)},
          {"rows", rows},
          {"offset", offset},
          {"page_size", page_size},
          {"next_offset", end < sweep.total_trials() ? json(end) : json(nullptr)},
          {"events", EventsJson(sweep)},
          {"total_trials", sweep.total_trials()},
          {"total_decisions", sweep.total_decisions()}};
}

json SweepListJson(const SweepPage& page, const std::vector<json>& bests) {
  json sweeps = json::array();
  for (size_t i = 0; i < page.sweeps.size(); ++i) {
    sweeps.push_back({{"sweep", SweepOnly(page.sweeps[i])},
                      {"progress", Number(SweepProgress(page.sweeps[i]))},
                      {"best", i < bests.size() ? bests[i] : json(nullptr)}});
  }
  return {{"sweeps", sweeps}, {"next_page_token", page.next_page_token}};
}

json TrialJson(const v1::Trial& trial, const std::vector<v1::Decision>& decisions,
               const json& curve) {
  v1::RankingRow alone;
  *alone.mutable_trial() = trial;
  json decisions_json = json::array();
  for (const v1::Decision& d : decisions) decisions_json.push_back(cli::ScriptJson(d));
  return {{"row", RowJson(alone, cli::HyperparameterText(trial))},
          {"hyperparameters", cli::HyperparameterText(trial)},
          {"decisions", decisions_json},
          {"curve", curve}};
}

}  // namespace augur::dashboard
