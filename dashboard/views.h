// The dashboard's JSON documents (docs/dashboard.md), built from scheduler messages: the sweeps
// list, one sweep's ranking and events, a trial page, and curves. Trials and sweeps inside them
// are in the form of `--output json` (cli/script_json.h); what the page would otherwise have to
// work out (progress, the final or predicted final loss, why a trial stopped, its ETA) is added
// beside them. Pure; thread-safe.
#ifndef AUGUR_DASHBOARD_VIEWS_H_
#define AUGUR_DASHBOARD_VIEWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"
#include "dashboard/curve_cache.h"
#include "nlohmann/json.hpp"
#include "scheduler/store.h"

namespace augur::dashboard {

// {"sweeps": [{"sweep", "progress", "best": row or null}], "next_page_token"}. `best` needs the
// sweeps' rankings; `bests` holds the best row of each sweep (same order) or null.
nlohmann::json SweepListJson(const SweepPage& page, const std::vector<nlohmann::json>& bests);

// One ranking row: {"rank" (null for a row.rank of 0: a trial read alone), "trial", "short_id",
// "label", "progress", "loss", "final", "deviation", "deviation_in_sigmas", "tokens_per_second",
// "eta_seconds", "state", "why_stopped", "ended_at_fraction"}.
nlohmann::json RowJson(const v1::RankingRow& row, const std::string& label);

// One page of a sweep: {"sweep" (with trial_counts and best_trial_id, over every trial),
// "progress", "searched": ["peak_lr", ...], "rows": [RowJson...], "offset", "page_size",
// "next_offset" (null on the last page), "events": [...], "total_trials", "total_decisions"}.
// `page` holds ranking rows offset + 1 ... (at most page_size); "searched", the labels and the
// events that are not stops come from those rows alone, the stops from page.decisions.
nlohmann::json SweepJson(const v1::GetSweepResponse& page, int64_t offset, int64_t page_size);

// {"row": RowJson, "hyperparameters", "decisions": [...], "curve": CurveJson}; `trial` is the
// full trial (with its config), `decisions` the decisions about it.
nlohmann::json TrialJson(const v1::Trial& trial, const std::vector<v1::Decision>& decisions,
                         const nlohmann::json& curve);

// The hyperparameters that differ between a sweep's trials, as field names of
// TrialHyperparameters ("model_size", "peak_lr", "tau", "weight_decay", "batch_sequences",
// "seed").
std::vector<std::string> SearchedParameters(const std::vector<v1::RankingRow>& ranking);

// The loss a trial ended with (completed: its last validation loss if it has one, else its
// last training loss), or the predicted final loss of one that did not finish, with the kind
// ("actual", "predicted") and interval: {"loss", "kind", "low", "high"}; null when neither.
nlohmann::json FinalJson(const v1::Trial& trial);

// `v` rounded to `digits` significant digits so that its JSON text is short; non-finite
// values are returned as they are (JSON null).
double Round(double v, int digits = 5);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_VIEWS_H_
