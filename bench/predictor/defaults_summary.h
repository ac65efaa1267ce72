// The default policy and its baselines at the default milestones, gathered from every section of
// bench_predictor into one closing table: issue 13 judges the defaults across the whole replay
// benchmark (mean compute at most 35% of the full sweep, regret within the seed-noise floor, 90%
// intervals covering 85-95% of true finals), so each source is shown apart and pooled.
#ifndef AUGUR_BENCH_PREDICTOR_DEFAULTS_SUMMARY_H_
#define AUGUR_BENCH_PREDICTOR_DEFAULTS_SUMMARY_H_

#include <string>

#include "bench/predictor/bench_common.h"

namespace augur::bench {

// The policies compared in the summary, named the same in every section.
enum class SummaryPolicy { kCollapse, kPrevious, kTopK, kAshaRay, kAshaTuned, kMedian };

// The summary's policy for a section's contender label ("collapse(form)", "collapse, previous
// rule", "top-1@0.15", "asha(ray)", "asha, matched", ...); false when the label is not one.
bool SummaryPolicyFor(const std::string& label, SummaryPolicy* out);

// Adds a section's tally of one policy at the default milestones. `source` names the sweeps
// ("synthetic, 9 LRs"); tallies of one source and policy add up.
void RecordAtDefaults(const std::string& source, SummaryPolicy policy, const Tally& t);

// Prints the table of everything recorded (nothing when nothing was).
void PrintDefaultsSummary();

}  // namespace augur::bench

#endif  // AUGUR_BENCH_PREDICTOR_DEFAULTS_SUMMARY_H_
