#include "bench/predictor/defaults_summary.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace augur::bench {
namespace {

const char* Name(SummaryPolicy p) {
  switch (p) {
    case SummaryPolicy::kCollapse:
      return "collapse (default)";
    case SummaryPolicy::kPrevious:
      return "collapse, previous rule";
    case SummaryPolicy::kTopK:
      return "top-1 at the last milestone";
    case SummaryPolicy::kAshaRay:
      return "ASHA, Ray's defaults";
    case SummaryPolicy::kAshaTuned:
      return "ASHA, tuned to the budget";
    case SummaryPolicy::kMedian:
      return "median stopping";
  }
  return "?";
}

// Sources in the order first recorded, each with its tallies by policy.
std::vector<std::pair<std::string, std::map<SummaryPolicy, Tally>>>& Recorded() {
  static auto* recorded = new std::vector<std::pair<std::string, std::map<SummaryPolicy, Tally>>>;
  return *recorded;
}

std::string Percent(int part, int whole) {
  return whole > 0 ? absl::StrFormat("%.0f%%", 100.0 * part / whole) : "-";
}

// Covered and computed intervals summed over milestones.
std::pair<int, int> Sum(const std::map<double, std::pair<int, int>>& by_milestone) {
  std::pair<int, int> s{0, 0};
  for (const auto& [m, c] : by_milestone) {
    s.first += c.first;
    s.second += c.second;
  }
  return s;
}

std::string CoverageCell(std::pair<int, int> c) {
  return c.second > 0 ? absl::StrFormat("%s of %d", Percent(c.first, c.second), c.second) : "-";
}

std::string ByMilestone(const std::map<double, std::pair<int, int>>& by_milestone) {
  std::vector<std::string> cells;
  for (const auto& [m, c] : by_milestone) {
    cells.push_back(absl::StrFormat("at %g: %s of %d", m, Percent(c.first, c.second), c.second));
  }
  return absl::StrJoin(cells, ", ");
}

void PrintRow(const std::string& source, SummaryPolicy p, const Tally& t) {
  std::printf(
      "  %-26s %-28s %6d %8.1f%% %10s %8s %9s %14s %14s\n", source.c_str(), Name(p), t.runs,
      100 * t.compute / t.runs,
      t.noise_runs ? absl::StrFormat("%d/%d", t.within_noise, t.noise_runs).c_str() : "-",
      t.noise_runs ? absl::StrFormat("%.2f", t.regret_in_noise / t.noise_runs).c_str() : "-",
      absl::StrFormat("%d/%d", t.false_stops, t.stops).c_str(),
      CoverageCell({t.covered, t.intervals}).c_str(), CoverageCell(Sum(t.every_trial_at)).c_str());
}

}  // namespace

bool SummaryPolicyFor(const std::string& label, SummaryPolicy* out) {
  const std::vector<std::pair<std::vector<std::string>, SummaryPolicy>> names = {
      {{"collapse(form)", "collapse"}, SummaryPolicy::kCollapse},
      {{"collapse(form,previous)", "collapse, previous rule"}, SummaryPolicy::kPrevious},
      {{"topk"}, SummaryPolicy::kTopK},
      {{"asha(ray)", "asha"}, SummaryPolicy::kAshaRay},
      {{"asha(matched)", "asha, matched"}, SummaryPolicy::kAshaTuned},
      {{"median"}, SummaryPolicy::kMedian}};
  for (const auto& [labels, p] : names) {
    for (const std::string& l : labels) {
      if (label == l) {
        *out = p;
        return true;
      }
    }
  }
  if (absl::StartsWith(label, "top-1@")) {
    *out = SummaryPolicy::kTopK;
    return true;
  }
  return false;
}

void RecordAtDefaults(const std::string& source, SummaryPolicy policy, const Tally& t) {
  auto& recorded = Recorded();
  auto it = recorded.begin();
  while (it != recorded.end() && it->first != source) ++it;
  if (it == recorded.end()) it = recorded.insert(recorded.end(), {source, {}});
  it->second[policy].Merge(t);
}

void PrintDefaultsSummary() {
  const auto& recorded = Recorded();
  if (recorded.empty()) return;
  std::printf(
      "\n== The defaults across the benchmark (milestones %s) ==\n"
      "Issue 13's targets: mean compute <= 35%% of the full sweep, regret within the seed-noise\n"
      "floor, 90%% intervals covering 85-95%% of the true finals. regret<=noise: sweeps whose\n"
      "regret is at most one seed-noise sd (sources with seeds); false stops: stopped trials that\n"
      "would have ended better than the pick by more than 0.1%%.\n",
      absl::StrJoin(predictor::PolicyConfig{}.milestones, ",").c_str());
  std::printf(
      "coverage: of the intervals shown (live trials at each milestone); every trial: of the same\n"
      "interval computed for every trial at every milestone, stopped or not, the interval's\n"
      "calibration over whole sweeps. Survival selects trials near the leader, where predictions\n"
      "are most accurate, so the intervals shown after the first milestone cover more.\n");
  std::printf("  %-26s %-28s %6s %9s %10s %8s %9s %14s %14s\n", "source", "policy", "sweeps",
              "compute", "regret<=n", "regret/n", "false", "coverage", "every trial");
  std::map<SummaryPolicy, Tally> pooled;
  std::map<SummaryPolicy, std::pair<double, int>> source_means;  // Sum of means, sources.
  for (const auto& [source, by_policy] : recorded) {
    for (const auto& [p, t] : by_policy) {
      if (t.runs == 0) continue;
      PrintRow(source, p, t);
      pooled[p].Merge(t);
      source_means[p].first += t.compute / t.runs;
      ++source_means[p].second;
    }
  }
  for (const auto& [p, t] : pooled) PrintRow("all sweeps, pooled", p, t);
  std::printf(
      "  Collapse's intervals: coverage by milestone (covered / shown), and the 90th percentile "
      "of\n  |error| / half-width (1 for a calibrated 90%% interval, below 1 when "
      "conservative):\n");
  for (const auto& [source, by_policy] : recorded) {
    auto it = by_policy.find(SummaryPolicy::kCollapse);
    if (it == by_policy.end()) continue;
    std::vector<std::string> cells = {ByMilestone(it->second.covered_at)};
    std::vector<double> r = it->second.error_to_half_width;
    if (!r.empty()) {
      std::sort(r.begin(), r.end());
      cells.push_back(absl::StrFormat("p90 |error| / half-width %.2f (max %.2f)",
                                      r[(r.size() - 1) * 9 / 10], r.back()));
    }
    std::printf("    %-26s %s\n", source.c_str(), absl::StrJoin(cells, ", ").c_str());
    if (!it->second.every_trial_at.empty()) {
      std::printf("    %-26s every trial %s\n", "", ByMilestone(it->second.every_trial_at).c_str());
    }
  }
  if (pooled.count(SummaryPolicy::kCollapse)) {
    std::vector<double> r = pooled.at(SummaryPolicy::kCollapse).error_to_half_width;
    if (!r.empty()) {
      std::sort(r.begin(), r.end());
      std::printf("    %-26s p90 |error| / half-width %.2f over %zu intervals\n",
                  "all sweeps, pooled", r[(r.size() - 1) * 9 / 10], r.size());
    }
  }
  std::printf("  Mean compute over the %zu sources (each source weighs the same):\n",
              recorded.size());
  for (const auto& [p, m] : source_means) {
    std::printf("    %-28s %5.1f%% (%d sources)\n", Name(p), 100 * m.first / m.second, m.second);
  }
}

}  // namespace augur::bench
