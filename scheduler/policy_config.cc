#include "scheduler/policy_config.h"

namespace augur {
namespace {

const char* PolicyName(v1::PolicyKind kind) {
  switch (kind) {
    case v1::POLICY_KIND_NONE:
      return "none";
    case v1::POLICY_KIND_ASHA:
      return "asha";
    case v1::POLICY_KIND_MEDIAN:
      return "median";
    case v1::POLICY_KIND_TOP_K:
      return "topk";
    case v1::POLICY_KIND_EXTRAPOLATION:
      return "extrapolation";
    default:
      return "collapse";
  }
}

}  // namespace

const predictor::PolicyConfig& PolicyDefaults() {
  static const predictor::PolicyConfig kDefaults;
  return kDefaults;
}

absl::StatusOr<predictor::PolicyConfig> PolicyConfigFor(const v1::StoppingPolicy& policy) {
  predictor::PolicyConfig c = PolicyDefaults();
  c.name = PolicyName(policy.kind());
  if (policy.milestone_fractions_size() > 0) {
    c.milestones.assign(policy.milestone_fractions().begin(), policy.milestone_fractions().end());
  }
  if (policy.keep_top() > 0) c.keep_top = policy.keep_top();
  if (policy.reduction_factor() > 0) c.asha_reduction_factor = policy.reduction_factor();
  if (policy.grace_fraction() > 0) {
    c.asha_grace_fraction = policy.grace_fraction();
    c.median_grace_fraction = policy.grace_fraction();
  }
  if (policy.kind() == v1::POLICY_KIND_TOP_K && !c.milestones.empty()) {
    c.topk_fraction = c.milestones.front();
  }
  if (!policy.use_interval()) c.rule = predictor::PolicyConfig::Rule::kRank;
  if (policy.tolerance() > 0) c.tolerance = policy.tolerance();
  if (policy.risk() > 0) c.risk = policy.risk();
  if (absl::Status s = predictor::CheckPolicyConfig(c); !s.ok()) return s;
  return c;
}

}  // namespace augur
