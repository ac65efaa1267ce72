// The paired decision rule (policy.h, PairedCut; docs/method.md, "Decision rule").
//
// For trial i and the leader L (lowest predicted final loss), the predicted relative difference
// is D = (P_i - P_L) / P_L. Its error has three parts: the paired model error e_d measured on
// held-out references at this milestone (what is shared by a group, the calibration's bias,
// cancels there; when the two references are of different families nothing cancels, and e_d is
// the two finals' held-out errors in quadrature), and the two trials' alignment noise s_i, s_L,
// which are independent. With
// s = sqrt(e_d^2 + s_i^2 + s_L^2), the chance that trial i ends better than the leader by more
// than the tolerance t is Phi((-t - D) / s); below `risk`, the trial is stopped.
//
// At the last milestone the policy commits: within each error family (trials predicted from one
// reference, whose ranking error was measured and is mostly shared) at most keep_top continue,
// the best predicted first. Across families nothing is cut on rank: their errors do not cancel,
// and a bias between families (seen between schedules on public curves) would decide; a family's
// best is stopped only by the risk rule against the overall leader.
#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_format.h"
#include "predictor/policy.h"

namespace augur::predictor {
namespace {

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double Finite(double x) { return std::isfinite(x) ? x : 0.0; }

int FamilySize(const std::vector<PoolEntry>& pool, const std::string& family) {
  return static_cast<int>(std::count_if(
      pool.begin(), pool.end(), [&](const PoolEntry& e) { return e.error_family == family; }));
}

}  // namespace

std::vector<Decision> PairedCut(const SummarizedGroup& group, std::vector<PoolEntry> pool,
                                bool last_milestone, const PolicyConfig& config) {
  std::stable_sort(pool.begin(), pool.end(),
                   [](const PoolEntry& a, const PoolEntry& b) { return a.value < b.value; });
  std::vector<Decision> out;
  if (pool.empty()) return out;
  const PoolEntry& leader = pool.front();
  const std::string& leader_id = group.trials[leader.trial].id;
  const int n = static_cast<int>(pool.size());
  std::map<std::string, int> family_rank;  // Rank so far within each error family, from 0.
  for (int r = 0; r < n; ++r) {
    const PoolEntry& e = pool[r];
    const int in_family = family_rank[e.error_family]++;
    const SummarizedTrial& t = group.trials[e.trial];
    if (t.state != TrialState::kRunning || !t.wanted) continue;
    Decision d = RankedDecision(t, e, leader, /*predicts=*/true);
    if (r == 0) {
      d.reason = absl::StrFormat("predicted final loss %.4f [%.4f, %.4f], the leader of %d",
                                 e.value, e.lower, e.upper, n);
      out.push_back(d);
      continue;
    }
    const double diff = (e.value - leader.value) / leader.value;
    const double model =
        e.error_family == leader.error_family
            ? std::max(Finite(e.rel_diff_error), Finite(leader.rel_diff_error))
            : std::hypot(Finite(e.rel_model_error), Finite(leader.rel_model_error));
    const double sd = std::sqrt(model * model + Finite(e.rel_noise_se) * Finite(e.rel_noise_se) +
                                Finite(leader.rel_noise_se) * Finite(leader.rel_noise_se));
    const double chance = sd > 0 ? NormalCdf((-config.tolerance - diff) / sd)
                                 : (diff < -config.tolerance ? 1.0 : 0.0);
    d.chance_better = chance;
    const std::string compared = absl::StrFormat(
        "predicted final loss %.4f, %+.2f%% from the leader %s (%.4f) +- %.2f%%: chance to end "
        "better by more than %.2g%% is %.1f%%",
        e.value, 100 * diff, leader_id, leader.value, 100 * sd, 100 * config.tolerance,
        100 * chance);
    if (chance < config.risk) {
      d.action = Action::kStop;
      d.reason = absl::StrFormat("%s, below the risk %.2g%%", compared, 100 * config.risk);
    } else if (last_milestone && in_family >= config.keep_top) {
      d.action = Action::kStop;
      d.reason = absl::StrFormat(
          "%s; rank %d/%d among the trials predicted from its reference at the last milestone, "
          "beyond keep_top %d",
          compared, in_family + 1, FamilySize(pool, e.error_family), config.keep_top);
    } else {
      d.reason = absl::StrFormat("%s, kept (risk %.2g%%)", compared, 100 * config.risk);
    }
    out.push_back(d);
  }
  return out;
}

}  // namespace augur::predictor
