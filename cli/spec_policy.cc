// The `policy` section: parsing, per-kind defaults and checks (docs/spec.md, "policy").
#include <string>
#include <utility>

#include "cli/spec_internal.h"
#include "common/text.h"
#include "predictor/model.h"
#include "scheduler/planner.h"
#include "scheduler/policy_config.h"

namespace augur::cli::internal {
namespace {

constexpr std::string_view kPolicyKeys[] = {"kind",
                                            "milestones",
                                            "keep_top",
                                            "reduction_factor",
                                            "grace",
                                            "model",
                                            "reference_width_ratio",
                                            "use_interval",
                                            "asynchronous",
                                            "tolerance",
                                            "risk"};
// Every default comes from the one typed policy (scheduler/policy_config.h) and the planner.
const predictor::PolicyConfig& D() { return PolicyDefaults(); }

// Fills default milestones for the kind, or checks the given ones.
void Milestones(YamlReader& r, augur::v1::StoppingPolicy& p) {
  if (p.kind() == augur::v1::POLICY_KIND_NONE) {
    if (r.Has("policy.milestones")) ReportNotUsed(r, "policy.milestones", "by policy none");
    return;
  }
  if (!r.Has("policy.milestones")) {
    if (p.kind() == augur::v1::POLICY_KIND_ASHA) {
      // Rungs at grace * rf^k, as Ray Tune's ASHA places them, below the end of training.
      if (p.grace_fraction() > 0 && p.grace_fraction() < 1 && p.reduction_factor() > 1) {
        for (double x = p.grace_fraction(); x < 1; x *= p.reduction_factor()) {
          p.add_milestone_fractions(x);
        }
      }
    } else if (p.kind() == augur::v1::POLICY_KIND_TOP_K) {
      p.add_milestone_fractions(D().topk_fraction);
    } else {
      for (double x : D().milestones) p.add_milestone_fractions(x);
    }
    return;
  }
  if (p.milestone_fractions_size() == 0) {
    r.ErrorAt("policy.milestones", "got an empty list, expected at least one fraction");
  }
  for (int i = 0; i < p.milestone_fractions_size(); ++i) {
    const std::string f = Cat("policy.milestones[", i, "]");
    const double m = p.milestone_fractions(i);
    if (!(m > 0 && m < 1)) {
      ReportBad(r, f, m, "a training fraction in (0, 1)");
    } else if (i > 0 && m <= p.milestone_fractions(i - 1)) {
      ReportBad(r, f, m,
                Cat("greater than the previous milestone ", p.milestone_fractions(i - 1),
                    " (ascending order)"));
    } else if (m < p.grace_fraction()) {
      ReportBad(r, f, m, Cat(">= policy.grace (", p.grace_fraction(), ")"));
    }
  }
}

// Reads the fitted model at policy.model_path into policy.model_json, reporting at
// policy.model a file that cannot be read or is not a model augur-predict fit wrote.
void EmbedModel(YamlReader& r, augur::v1::StoppingPolicy& p) {
  absl::StatusOr<std::string> text = augur::predictor::ReadModelText(p.model_path());
  if (!text.ok()) {
    r.ErrorAt("policy.model",
              Cat(text.status().message(), " (models come from augur-predict fit)"));
    return;
  }
  p.set_model_json(*std::move(text));
}

}  // namespace

void ParsePolicy(YamlReader& r, const YAML::Node& node, augur::v1::StoppingPolicy& policy_out) {
  if (!r.ExpectMap(node, "policy", kPolicyKeys)) return;
  augur::v1::StoppingPolicy* policy = &policy_out;
  if (auto v = ChildString(r, node, "policy", "kind")) {
    static constexpr std::pair<std::string_view, augur::v1::PolicyKind> kKinds[] = {
        {"none", augur::v1::POLICY_KIND_NONE},
        {"collapse", augur::v1::POLICY_KIND_COLLAPSE},
        {"asha", augur::v1::POLICY_KIND_ASHA},
        {"median", augur::v1::POLICY_KIND_MEDIAN},
        {"top_k", augur::v1::POLICY_KIND_TOP_K},
        {"extrapolation", augur::v1::POLICY_KIND_EXTRAPOLATION}};
    bool found = false;
    for (const auto& [name, kind] : kKinds) {
      if (*v == name) {
        policy->set_kind(kind);
        found = true;
      }
    }
    if (!found) {
      r.Error(node["kind"], "policy.kind",
              Cat("got `", *v, "`, expected collapse, asha, median, top_k, extrapolation or none"));
    }
  }
  const YAML::Node milestones = node["milestones"];
  if (milestones && r.ExpectList(milestones, "policy.milestones")) {
    for (size_t i = 0; i < milestones.size(); ++i) {
      if (auto v = r.Double(milestones[i], Cat("policy.milestones[", i, "]"))) {
        policy->add_milestone_fractions(*v);
      }
    }
  }
  if (auto v = ChildInt32(r, node, "policy", "keep_top")) policy->set_keep_top(*v);
  if (auto v = ChildDouble(r, node, "policy", "reduction_factor")) policy->set_reduction_factor(*v);
  if (auto v = ChildDouble(r, node, "policy", "grace")) policy->set_grace_fraction(*v);
  if (auto v = ChildString(r, node, "policy", "model")) policy->set_model_path(*v);
  if (auto v = ChildDouble(r, node, "policy", "reference_width_ratio")) {
    policy->set_reference_width_ratio(*v);
  }
  if (auto v = ChildBool(r, node, "policy", "use_interval")) policy->set_use_interval(*v);
  if (auto v = ChildBool(r, node, "policy", "asynchronous")) policy->set_asynchronous(*v);
  if (auto v = ChildDouble(r, node, "policy", "tolerance")) policy->set_tolerance(*v);
  if (auto v = ChildDouble(r, node, "policy", "risk")) policy->set_risk(*v);
}

void CheckPolicy(const SpecParseOptions& options, YamlReader& r,
                 augur::v1::StoppingPolicy& policy) {
  augur::v1::StoppingPolicy* p = &policy;
  if (p->kind() == augur::v1::POLICY_KIND_UNSPECIFIED) p->set_kind(augur::v1::POLICY_KIND_COLLAPSE);
  const augur::v1::PolicyKind kind = p->kind();
  const bool collapse = kind == augur::v1::POLICY_KIND_COLLAPSE;
  const bool asha = kind == augur::v1::POLICY_KIND_ASHA;
  const bool median = kind == augur::v1::POLICY_KIND_MEDIAN;
  const bool ranks = collapse || kind == augur::v1::POLICY_KIND_TOP_K ||
                     kind == augur::v1::POLICY_KIND_EXTRAPOLATION;
  // keep_top
  if (ranks) {
    if (!r.Has("policy.keep_top")) p->set_keep_top(D().keep_top);
    if (p->keep_top() < 1) ReportBad(r, "policy.keep_top", p->keep_top(), ">= 1");
  } else if (r.Has("policy.keep_top")) {
    ReportNotUsed(r, "policy.keep_top",
                  "by this policy kind (only collapse, top_k, extrapolation)");
  }
  // tolerance and risk: the paired decision rule of the predicting policies.
  if (collapse) {
    if (!r.Has("policy.tolerance")) p->set_tolerance(D().tolerance);
    if (!r.Has("policy.risk")) p->set_risk(D().risk);
    if (!(p->tolerance() >= 0 && p->tolerance() < 0.5))
      ReportBad(r, "policy.tolerance", p->tolerance(), "a relative difference in [0, 0.5)");
    if (!(p->risk() > 0 && p->risk() < 0.5))
      ReportBad(r, "policy.risk", p->risk(), "a probability in (0, 0.5)");
  } else {
    for (const char* f : {"policy.tolerance", "policy.risk"}) {
      if (r.Has(f)) ReportNotUsed(r, f, "by this policy kind (only collapse)");
    }
  }
  // reduction_factor and grace
  if (asha) {
    if (!r.Has("policy.reduction_factor")) p->set_reduction_factor(D().asha_reduction_factor);
    if (p->reduction_factor() <= 1)
      ReportBad(r, "policy.reduction_factor", p->reduction_factor(), "> 1");
    if (!r.Has("policy.grace")) p->set_grace_fraction(D().asha_grace_fraction);
  } else if (r.Has("policy.reduction_factor")) {
    ReportNotUsed(r, "policy.reduction_factor", "by this policy kind (only asha)");
  }
  if (asha || median) {
    const double g = p->grace_fraction();
    if (!(g >= 0 && g < 1)) ReportBad(r, "policy.grace", g, "a fraction in [0, 1)");
    if (asha && g <= 0 && p->milestone_fractions_size() == 0) {
      ReportBad(r, "policy.grace", g, "> 0 when asha derives its rungs (or give milestones)");
    }
  } else if (r.Has("policy.grace")) {
    ReportNotUsed(r, "policy.grace", "by this policy kind (only asha, median)");
  }
  // Collapse-only fields.
  if (collapse) {
    if (!p->model_path().empty()) {
      p->set_model_path(ResolveSpecPath(options, r, "policy.model", p->model_path()));
      if (options.check_paths && !r.HasError("policy.model")) EmbedModel(r, *p);
    }
    if (!r.Has("policy.reference_width_ratio")) {
      p->set_reference_width_ratio(kDefaultReferenceWidthRatio);
    }
    const double ratio = p->reference_width_ratio();
    if (!(ratio > 0 && ratio <= 1))
      ReportBad(r, "policy.reference_width_ratio", ratio, "in (0, 1]");
    if (!r.Has("policy.use_interval")) p->set_use_interval(true);
  } else {
    for (const char* f : {"policy.model", "policy.reference_width_ratio", "policy.use_interval"}) {
      if (r.Has(f)) ReportNotUsed(r, f, "by this policy kind (only collapse)");
    }
  }
  Milestones(r, *p);
  // The rules the planner and the scheduler apply; the checks above name the field and line,
  // this one is what stays true if they and the policies ever disagree.
  if (!r.HasErrors()) {
    if (auto checked = PolicyConfigFor(*p); !checked.ok()) {
      r.ErrorAt("policy", std::string(checked.status().message()));
    }
  }
}

}  // namespace augur::cli::internal
