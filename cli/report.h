// What a finished (or interrupted) sweep comes to: the winner, what was stopped and when, the
// compute spent against running every trial to the end; as terminal text (the end of
// `augur run`), as a Markdown report with SVG/PNG plots, and the plots `augur curves` draws.
// Pure except WriteReport; thread-safe.
#ifndef AUGUR_CLI_REPORT_H_
#define AUGUR_CLI_REPORT_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "cli/plot.h"

namespace augur::cli {

// The curve of trial `id` among `curves`, or nullptr.
const v1::TrialCurve* CurveOf(const std::vector<v1::TrialCurve>& curves, const std::string& id);

// The loss a trial ended with (or has now): the last validation loss when evaluated, else the
// last training loss. 0 when it has no point.
double FinalLoss(const v1::Trial& trial, const v1::TrialCurve* curve);

// The completed non-reference trial with the lowest FinalLoss; nullptr if none completed.
const v1::Trial* Winner(const v1::GetSweepResponse& sweep,
                        const std::vector<v1::TrialCurve>& curves);

// Tokens spent and the full-budget tokens: Sweep.tokens_spent / tokens_full, else summed from
// the curves' last points and the trials' planned steps.
std::pair<int64_t, int64_t> TokensSpentAndFull(const v1::GetSweepResponse& sweep,
                                               const std::vector<v1::TrialCurve>& curves);

// Loss against tokens (one series per trial; stopped trials dashed).
Plot LossPlot(const v1::GetSweepResponse& sweep, const std::vector<v1::TrialCurve>& curves);
// Normalized loss L(t)/L(T) against the training fraction t/T, with L(T) the final loss of a
// completed trial or the predicted final loss of a stopped one (trials with neither are left
// out): where the collapse shows.
Plot NormalizedPlot(const v1::GetSweepResponse& sweep, const std::vector<v1::TrialCurve>& curves);

// The end-of-run summary: winner, stops, compute.
std::string SummaryText(const v1::GetSweepResponse& sweep,
                        const std::vector<v1::TrialCurve>& curves);

// Writes report.md, loss.svg, loss.png, normalized.svg, normalized.png and curves.csv into
// `dir` (created). Returns the report's path.
absl::StatusOr<std::filesystem::path> WriteReport(const std::filesystem::path& dir,
                                                  const std::string& spec_path,
                                                  const v1::GetSweepResponse& sweep,
                                                  const std::vector<v1::TrialCurve>& curves,
                                                  absl::Duration wall_time);

}  // namespace augur::cli

#endif  // AUGUR_CLI_REPORT_H_
