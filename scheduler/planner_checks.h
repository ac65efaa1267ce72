// Validation of a SweepSpec before planning. The CLI's parser checks the YAML form with line
// numbers; this re-checks what planning relies on, because specs also arrive over gRPC.
#ifndef AUGUR_SCHEDULER_PLANNER_CHECKS_H_
#define AUGUR_SCHEDULER_PLANNER_CHECKS_H_

#include "absl/status/status.h"
#include "augur/v1/sweep.pb.h"
#include "scheduler/planner.h"

namespace augur {

// OK, or INVALID_ARGUMENT whose message starts with the offending field's path in the proto
// (e.g. "search.dimensions[0].min: ...").
absl::Status ValidateSweepSpec(const v1::SweepSpec& spec, const PlannerOptions& options);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_PLANNER_CHECKS_H_
