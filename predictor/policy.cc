#include "predictor/policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace augur::predictor {
namespace {

class NonePolicy : public StoppingPolicy {
 public:
  std::string Name() const override { return "none"; }
  std::vector<Decision> Decide(const GroupView& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    for (size_t i = 0; i < group.trials.size(); ++i) {
      if (handled[i] || group.trials[i].state != TrialState::kRunning) continue;
      Decision d;
      d.trial_id = group.trials[i].id;
      d.reason = "policy none: never stops";
      out.push_back(d);
    }
    return out;
  }
};

}  // namespace

bool Reached(const TrialView& trial, double m) {
  if (trial.points.empty()) return false;
  // The tolerance is at least 0.005: the spacing (O(n)) is needed only short of that.
  if (Progress(trial.points) >= m - 0.005) return true;
  const double tol = std::max(0.005, 1.5 * MedianSpacing(trial.points));
  return Progress(trial.points) >= m - tol;
}

std::vector<Decision> PreliminaryDecisions(const GroupView& group, double m,
                                           std::vector<bool>& handled) {
  handled.assign(group.trials.size(), false);
  std::vector<Decision> out;
  for (size_t i = 0; i < group.trials.size(); ++i) {
    const TrialView& t = group.trials[i];
    if (t.state != TrialState::kRunning) continue;
    const int bad = FirstNonFinite(t.points);
    if (bad >= 0) {
      Decision d;
      d.trial_id = t.id;
      d.action = Action::kStop;
      d.diverged = true;
      d.reason = absl::StrCat("diverged: non-finite loss at step ", t.points[bad].step);
      out.push_back(d);
      handled[i] = true;
    } else if (!Reached(t, m)) {
      Decision d;
      d.trial_id = t.id;
      d.reason = absl::StrFormat("not at milestone %.3g yet (at %.3g)", m, Progress(t.points));
      out.push_back(d);
      handled[i] = true;
    }
  }
  return out;
}

std::vector<Decision> RankCut(const GroupView& group, std::vector<PoolEntry> pool, int keep_count,
                              bool use_interval, const std::string& what, bool predicts) {
  std::stable_sort(pool.begin(), pool.end(),
                   [](const PoolEntry& a, const PoolEntry& b) { return a.value < b.value; });
  std::vector<Decision> out;
  if (pool.empty()) return out;
  const PoolEntry& leader = pool.front();
  const int n = static_cast<int>(pool.size());
  keep_count = std::clamp(keep_count, 1, n);
  for (int r = 0; r < n; ++r) {
    const PoolEntry& e = pool[r];
    const TrialView& t = group.trials[e.trial];
    if (t.state != TrialState::kRunning) continue;
    Decision d;
    d.trial_id = t.id;
    d.current_loss = e.current;
    d.compared_loss = leader.value;
    if (predicts) {
      d.predicted_final_loss = e.value;
      d.lower = e.lower;
      d.upper = e.upper;
    }
    const bool dominated = use_interval && r > 0 && e.rank_lower > leader.rank_upper;
    if (dominated) {
      d.action = Action::kStop;
      d.reason = absl::StrFormat(
          "%s %.4f [%.4f, %.4f] rank %d/%d: lower bound above the leader's upper bound %.4f", what,
          e.value, e.lower, e.upper, r + 1, n, leader.upper);
    } else if (r < keep_count) {
      d.reason = absl::StrFormat("%s %.4f rank %d/%d, within the best %d", what, e.value, r + 1, n,
                                 keep_count);
    } else if (use_interval && e.rank_lower <= leader.value) {
      d.reason = absl::StrFormat(
          "%s %.4f rank %d/%d beyond the best %d, kept: noise interval [%.4f, %.4f] reaches "
          "the leader's %.4f",
          what, e.value, r + 1, n, keep_count, e.rank_lower, e.rank_upper, leader.value);
    } else {
      d.action = Action::kStop;
      d.reason = absl::StrFormat("%s %.4f rank %d/%d, beyond the best %d (leader %.4f)", what,
                                 e.value, r + 1, n, keep_count, leader.value);
    }
    out.push_back(d);
  }
  return out;
}

std::vector<std::string> PolicyNames() {
  return {"collapse", "asha", "median", "topk", "extrapolation", "none"};
}

absl::StatusOr<std::unique_ptr<StoppingPolicy>> MakePolicy(const PolicyConfig& c) {
  if (c.keep_fraction <= 0 || c.keep_fraction > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("keep_fraction ", c.keep_fraction, " must be in (0, 1]"));
  }
  for (double m : c.milestones) {
    if (!(m > 0 && m <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("milestone ", m, " must be in (0, 1]"));
    }
  }
  if (c.name == "collapse") {
    if (c.references == nullptr) {
      return absl::InvalidArgumentError(
          "the collapse policy needs a reference (a fitted model or reference curves)");
    }
    return MakeCollapsePolicy(c);
  }
  if (c.name == "asha") {
    if (c.asha_reduction_factor <= 1 || c.asha_grace_fraction <= 0 || c.asha_grace_fraction >= 1) {
      return absl::InvalidArgumentError(
          "asha needs reduction_factor > 1 and grace fraction in (0, 1)");
    }
    return MakeAshaPolicy(c);
  }
  if (c.name == "median") return MakeMedianPolicy(c);
  if (c.name == "topk") {
    if (c.topk_k < 1 || !(c.topk_fraction > 0 && c.topk_fraction <= 1)) {
      return absl::InvalidArgumentError("topk needs k >= 1 and a fraction in (0, 1]");
    }
    return MakeTopKPolicy(c);
  }
  if (c.name == "extrapolation") return MakeExtrapolationPolicy(c);
  if (c.name == "none") return std::unique_ptr<StoppingPolicy>(new NonePolicy());
  return absl::InvalidArgumentError(
      absl::StrCat("unknown policy '", c.name,
                   "' (expected collapse, asha, median, topk, extrapolation or none)"));
}

}  // namespace augur::predictor
