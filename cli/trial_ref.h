// What the commands that take a trial or a sweep accept, resolved in one place:
//   SWEEP/tNNN     a full trial id
//   SWEEP tNNN     a sweep and a short trial id
//   tNNN           a short trial id, in the one running sweep (an error naming the running
//                  sweeps when there are none or several)
//   SWEEP          a whole sweep (only where the command takes one)
// An unknown id is an error (exit 1) with a hint, never an empty success.
#ifndef AUGUR_CLI_TRIAL_REF_H_
#define AUGUR_CLI_TRIAL_REF_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/client.h"

namespace augur::cli {

// "t007" (a 't' and digits).
bool IsShortTrialId(std::string_view id);
// The planner's spelling of a short id, at least three digits: "t7" and "t0007" -> "t007";
// anything else is returned as given.
std::string CanonicalShortId(std::string_view id);

struct TargetRef {
  std::string sweep_id;  // Always set.
  std::string trial_id;  // Full id; empty when the target is the whole sweep.
};

// Resolves the positional arguments `args` (one or two, as above). `command` names the command
// in hints. A usage error for a wrong shape; FAILED_PRECONDITION for a short id that cannot be
// placed in one sweep.
absl::StatusOr<TargetRef> ResolveTarget(SchedulerClient& client,
                                        const std::vector<std::string>& args,
                                        std::string_view command, bool sweep_allowed);

// `status` with a hint appended when it is NOT_FOUND for a trial of `sweep_id`.
absl::Status WithTrialHint(absl::Status status, const std::string& sweep_id);

}  // namespace augur::cli

#endif  // AUGUR_CLI_TRIAL_REF_H_
