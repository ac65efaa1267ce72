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
  std::vector<Decision> DecideSummarized(const SummarizedGroup& group, double m) const override {
    std::vector<bool> handled;
    std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
    for (size_t i = 0; i < group.trials.size(); ++i) {
      const SummarizedTrial& t = group.trials[i];
      if (handled[i] || !t.wanted || t.state != TrialState::kRunning) continue;
      Decision d;
      d.trial_id = t.id;
      d.reason = "policy none: never stops";
      out.push_back(d);
    }
    return out;
  }
};

}  // namespace

bool Reached(const std::vector<CurvePoint>& points, double m) {
  if (points.empty()) return false;
  const double progress = Progress(points);
  // The tolerance is at least 0.005: the spacing (O(n)) is needed only short of that.
  if (progress >= m - 0.005) return true;
  // The median spacing is at most twice the mean (more than half of the gaps above 2 x mean
  // would sum to more than the whole): a trial short of m by more than max(0.005, 3 x mean)
  // has not reached it, and most trials of a group are there, so this is O(1) for them.
  const size_t n = points.size();
  if (n >= 2) {
    const double mean =
        (points.back().fraction - points.front().fraction) / static_cast<double>(n - 1);
    if (progress < m - std::max(0.005, 3.0 * mean * (1 + 1e-9))) return false;
  }
  const double tol = std::max(0.005, 1.5 * MedianSpacing(points));
  return progress >= m - tol;
}

TrialSummary StoppingPolicy::Summarize(const TrialView& trial, double m) const {
  TrialSummary s;
  s.progress = Progress(trial.points);
  s.reached = Reached(trial, m);
  const int bad = FirstNonFinite(trial.points);
  if (bad >= 0) s.diverged_step = trial.points[bad].step;
  return s;
}

std::vector<Decision> StoppingPolicy::Decide(const GroupView& group, double m) const {
  SummarizedGroup summarized;
  summarized.group_id = group.group_id;
  summarized.trials.reserve(group.trials.size());
  for (const TrialView& t : group.trials) {
    summarized.trials.push_back({t.id, t.state, Summarize(t, m), true});
  }
  return DecideSummarized(summarized, m);
}

std::vector<Decision> PreliminaryDecisions(const SummarizedGroup& group, double m,
                                           std::vector<bool>& handled) {
  handled.assign(group.trials.size(), false);
  std::vector<Decision> out;
  for (size_t i = 0; i < group.trials.size(); ++i) {
    const SummarizedTrial& t = group.trials[i];
    if (t.state != TrialState::kRunning) continue;
    const bool diverged = t.summary.diverged_step >= 0;
    if (!diverged && t.summary.reached) continue;
    handled[i] = true;
    if (!t.wanted) continue;
    Decision d;
    d.trial_id = t.id;
    if (diverged) {
      d.action = Action::kStop;
      d.diverged = true;
      d.reason = absl::StrCat("diverged: non-finite loss at step ", t.summary.diverged_step);
    } else {
      d.reason = absl::StrFormat("not at milestone %.3g yet (at %.3g)", m, t.summary.progress);
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<Decision> RankPredictions(const SummarizedGroup& group, double m,
                                      const PolicyConfig& config, PolicyConfig::Rule rule,
                                      const std::string& what, const std::string& unranked) {
  std::vector<bool> handled;
  std::vector<Decision> out = PreliminaryDecisions(group, m, handled);
  std::vector<PoolEntry> pool;
  for (size_t i = 0; i < group.trials.size(); ++i) {
    const SummarizedTrial& t = group.trials[i];
    if (t.state == TrialState::kDiverged || handled[i] || !t.summary.reached) continue;
    if (t.summary.pooled) {
      pool.push_back(t.summary.entry);
      pool.back().trial = i;
    } else if (!t.summary.note.empty() && t.wanted && t.state == TrialState::kRunning) {
      Decision d;
      d.trial_id = t.id;
      d.reason = absl::StrCat(unranked, ", continuing: ", t.summary.note);
      out.push_back(std::move(d));
    }
  }
  const auto& ms = config.milestones;
  const bool last = !ms.empty() && m >= *std::max_element(ms.begin(), ms.end()) - 1e-9;
  std::vector<Decision> ranked;
  if (rule == PolicyConfig::Rule::kPaired) {
    ranked = PairedCut(group, std::move(pool), last, config);
  } else {
    const int keep = last ? config.keep_top
                          : static_cast<int>(std::ceil(config.keep_fraction * pool.size() - 1e-9));
    ranked = RankCut(group, std::move(pool), keep, rule == PolicyConfig::Rule::kDisjointIntervals,
                     what, true);
  }
  out.insert(out.end(), ranked.begin(), ranked.end());
  return out;
}

Decision RankedDecision(const SummarizedTrial& t, const PoolEntry& e, const PoolEntry& leader,
                        bool predicts) {
  Decision d;
  d.trial_id = t.id;
  d.current_loss = e.current;
  d.compared_loss = leader.value;
  if (predicts) {
    d.predicted_final_loss = e.value;
    d.lower = e.lower;
    d.upper = e.upper;
  }
  return d;
}

std::vector<Decision> RankCut(const SummarizedGroup& group, std::vector<PoolEntry> pool,
                              int keep_count, bool use_interval, const std::string& what,
                              bool predicts) {
  std::stable_sort(pool.begin(), pool.end(),
                   [](const PoolEntry& a, const PoolEntry& b) { return a.value < b.value; });
  std::vector<Decision> out;
  if (pool.empty()) return out;
  const PoolEntry& leader = pool.front();
  const int n = static_cast<int>(pool.size());
  keep_count = std::clamp(keep_count, 1, n);
  for (int r = 0; r < n; ++r) {
    const PoolEntry& e = pool[r];
    const SummarizedTrial& t = group.trials[e.trial];
    if (t.state != TrialState::kRunning || !t.wanted) continue;
    Decision d = RankedDecision(t, e, leader, predicts);
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

absl::Status CheckPolicyConfig(const PolicyConfig& c) {
  const std::vector<std::string> names = PolicyNames();
  if (std::find(names.begin(), names.end(), c.name) == names.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown policy '", c.name,
                     "' (expected collapse, asha, median, topk, extrapolation or none)"));
  }
  if (c.keep_fraction <= 0 || c.keep_fraction > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("keep_fraction ", c.keep_fraction, " must be in (0, 1]"));
  }
  for (double m : c.milestones) {
    if (!(m > 0 && m <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("milestone ", m, " must be in (0, 1]"));
    }
  }
  if (c.keep_top < 1) {
    return absl::InvalidArgumentError(absl::StrCat("keep_top ", c.keep_top, " must be >= 1"));
  }
  if (!(c.tolerance >= 0 && c.tolerance < 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tolerance ", c.tolerance, " must be in [0, 0.5)"));
  }
  if (!(c.risk > 0 && c.risk < 0.5)) {
    return absl::InvalidArgumentError(absl::StrCat("risk ", c.risk, " must be in (0, 0.5)"));
  }
  if (c.name == "asha" &&
      (c.asha_reduction_factor <= 1 || c.asha_grace_fraction <= 0 || c.asha_grace_fraction >= 1)) {
    return absl::InvalidArgumentError(
        "asha needs reduction_factor > 1 and grace fraction in (0, 1)");
  }
  if (c.name == "topk" && !(c.topk_fraction > 0 && c.topk_fraction <= 1)) {
    return absl::InvalidArgumentError("topk needs a fraction in (0, 1]");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StoppingPolicy>> MakePolicy(const PolicyConfig& c) {
  if (absl::Status s = CheckPolicyConfig(c); !s.ok()) return s;
  if (c.name == "collapse") {
    if (c.references == nullptr) {
      return absl::InvalidArgumentError(
          "the collapse policy needs a reference (a fitted model or reference curves)");
    }
    return MakeCollapsePolicy(c);
  }
  if (c.name == "asha") return MakeAshaPolicy(c);
  if (c.name == "median") return MakeMedianPolicy(c);
  if (c.name == "topk") return MakeTopKPolicy(c);
  if (c.name == "extrapolation") return MakeExtrapolationPolicy(c);
  return std::unique_ptr<StoppingPolicy>(new NonePolicy());
}

}  // namespace augur::predictor
