// Turning scheduler messages into what `augur` prints: state names, trial labels, numbers,
// progress bars and the ranking table (JSON: script_json.h). Pure functions; thread-safe.
#ifndef AUGUR_CLI_SWEEP_VIEW_H_
#define AUGUR_CLI_SWEEP_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"
#include "cli/table.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"

namespace augur::cli {

// "pending", "running", ... ; "?" for UNSPECIFIED.
std::string TrialStateName(v1::TrialState state);
std::string SweepStateName(v1::Sweep::State state);
bool IsTerminal(v1::TrialState state);

// "t007" from "s-20261122-0001/t007" (the part after the last '/').
std::string ShortTrialId(const std::string& trial_id);
// Which hyperparameters differ between the (non-reference) trials of a sweep: the ones worth
// showing in a ranking.
struct Varying {
  bool size = false, lr = false, tau = false, wd = false, batch = false, seed = false;
};
Varying FindVarying(const std::vector<v1::RankingRow>& ranking);
// "w64 lr=0.003 tau=0.2 wd=0.1 batch=32 seed=1", all of them.
std::string HyperparameterText(const v1::Trial& trial);
// Only the varying ones ("lr=0.003 tau=0.2"); reference runs also show their size and "(ref)".
std::string HyperparameterText(const v1::Trial& trial, const Varying& varying);
// 1234567 -> "1.23M"; 980 -> "980".
std::string HumanCount(int64_t n);
// A loss with four decimals, or "-" when not positive.
std::string LossText(double loss);
// "[####------] 40%" style bar of `width` cells using block characters.
std::string ProgressBar(double fraction, int width);
// "pending 3, running 2, completed 1" in lifecycle order, skipping zeros.
std::string TrialCountsText(const v1::Sweep& sweep);

// The line `augur pause`, `resume` and `stop` print for a trial once the scheduler answered:
// its state, and for a trial still running after a pause order, that the order is on its way
// (the worker checkpoints it and frees its slot within seconds).
std::string TrialActionLine(const v1::Trial& trial, bool pause_ordered);
// Why a trial is not training, shown beside it: for a stopped trial the stop decision's reason;
// for a failed or cancelled one, and a paused one, the trial message; for a trial waiting at a
// synchronous milestone, where and for what ("at 10%: waits for ..."), since a trial that
// reached the milestone first can wait a long time for the last of its group. Empty otherwise.
std::string StopReason(const v1::Trial& trial);

// "45s", "12m05s", "3h07m", "4d2h"; "-" when not positive.
std::string DurationText(double seconds);
// Seconds a running trial needs to reach its end at its current speed; 0 when unknown.
double TrialEtaSeconds(const v1::Trial& trial);

// The live ranking: rank, trial, hyperparameters, progress, current loss, predicted final loss
// with its interval, deviation from the collapse, speed (tokens/s) and ETA of running trials,
// state and why it stopped.
Table RankingTable(const std::vector<v1::RankingRow>& ranking, int bar_width = 12);

// Where a plot's y-range starts to count a trial's points: the end of its learning-rate warmup
// (a fraction of training), or 0.05 without one. The first steps' loss (about ln 256 for bytes)
// would otherwise squash the part of training that matters into the bottom of the plot.
double PlotRangeFromFraction(const v1::Trial& trial);

// Milliseconds since the epoch as "2026-11-22 08:01:40" (local time); "-" for 0.
std::string TimeText(int64_t unix_ms);

}  // namespace augur::cli

#endif  // AUGUR_CLI_SWEEP_VIEW_H_
