// The body of SweepService.ExportCurves: a sweep's loss curves, streamed. Trials are read in
// planning order a page at a time and each trial's points are sent in messages of at most
// kPointsPerCurveMessage, so the scheduler holds one page of trial rows and one trial's points,
// whatever the size of the sweep, and no message nears gRPC's 4 MiB limit.
#ifndef AUGUR_SCHEDULER_CURVE_EXPORT_H_
#define AUGUR_SCHEDULER_CURVE_EXPORT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "augur/v1/sweep.pb.h"
#include "scheduler/scheduler.h"

namespace augur {

inline constexpr size_t kPointsPerCurveMessage = 10000;
// Trial rows read from the store at once.
inline constexpr int kExportTrialPage = 500;

// Writes each wanted trial's curve (its row without the config, then its points by step) with
// `write`; an empty curve is one message. `trial_ids` are full or short ("t007") ids of the
// sweep's trials, empty for all of them; NOT_FOUND names the unknown ones with the range of ids
// the sweep has. When `write` returns false (the reader has gone) the export stops with OK.
absl::Status ExportCurves(Scheduler& scheduler, const std::string& sweep_id,
                          const std::vector<std::string>& trial_ids,
                          absl::FunctionRef<bool(const v1::TrialCurve&)> write);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_CURVE_EXPORT_H_
