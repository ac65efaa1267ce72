// The one typed policy: the spec's `policy` section (v1::StoppingPolicy) as the predictor's
// PolicyConfig, whose member initializers are the defaults of every policy setting. The YAML
// reader (cli/spec_policy.cc) fills the proto with what a spec says, shows the defaults from here,
// and checks each field with its file:line; CheckPolicyConfig (predictor/policy.h) is the one
// set of rules the planner, the scheduler and `augur validate` apply to the result.
#ifndef AUGUR_SCHEDULER_POLICY_CONFIG_H_
#define AUGUR_SCHEDULER_POLICY_CONFIG_H_

#include "absl/status/statusor.h"
#include "augur/v1/sweep.pb.h"
#include "predictor/policy.h"

namespace augur {

// The defaults of every policy setting (PolicyConfig's member initializers).
const predictor::PolicyConfig& PolicyDefaults();

// The policy configuration a spec asks for (without references): each field the proto leaves at
// zero takes its default. INVALID_ARGUMENT when CheckPolicyConfig refuses the result.
absl::StatusOr<predictor::PolicyConfig> PolicyConfigFor(const v1::StoppingPolicy& policy);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_POLICY_CONFIG_H_
