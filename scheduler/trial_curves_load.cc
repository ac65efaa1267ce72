// TrialCurves: loading a sweep, or one trial, from the store (trial_curves.h).
#include <utility>

#include "common/status_macros.h"
#include "scheduler/policy_runner.h"
#include "scheduler/trial_curves.h"

namespace augur {
namespace {

// Trials read per page while a sweep loads: memory holds a page of rows besides what it keeps.
constexpr int kLoadPage = 1000;

}  // namespace

std::shared_ptr<const v1::Trial> TrialCurves::Slim(v1::Trial trial) {
  v1::Resources resources = std::move(*trial.mutable_config()->mutable_resources());
  trial.clear_config();
  *trial.mutable_config()->mutable_resources() = std::move(resources);
  return std::make_shared<const v1::Trial>(std::move(trial));
}

void TrialCurves::CountStarted(LoadedSweep& sweep, const v1::Trial& trial) {
  if (trial.is_reference()) return;  // Never counted: a reference holds no milestone.
  auto group = sweep.unstarted.find(CollapseGroupKey(trial.controls()));
  if (group != sweep.unstarted.end() && --group->second <= 0) sweep.unstarted.erase(group);
}

absl::StatusOr<TrialCurves::TrialMemory> TrialCurves::ReadMemory(Store& store, v1::Trial trial,
                                                                 const SweepPolicy& policy) {
  TrialMemory m;
  // An ended trial of a milestone sweep: only the head of its curve and its last point are
  // read (kept as read: not merged with the rest of its last 0.1% of training, whose mean loss
  // no decision reads).
  const bool head_only = KeepsDecisionPrefix(trial, policy);
  ASSIGN_OR_RETURN(std::vector<v1::LossPoint> points,
                   head_only ? store.ReadPointsHead(trial.trial_id(), HeadToRead(policy))
                             : store.ReadPoints(trial.trial_id(), 0));
  for (const predictor::CurvePoint& p : ToPredictorPoints(points)) AppendToCurve(m, p);
  if (head_only) KeepDecisionPrefix(m, policy);
  if (trial.state() == v1::TRIAL_STATE_RUNNING) {
    ASSIGN_OR_RETURN(LeaseInfo lease, store.GetLease(trial.trial_id()));
    m.fencing_token = lease.fencing_token;
    // As it was granted, unless the curve the store has lags behind the worker (then the
    // group waits for the trial's next stop, where it has reached this milestone).
    if (policy.synchronous && !trial.is_reference()) {
      m.run_until =
          RunUntilFraction(policy.milestones, m.points.empty() ? 0 : m.points.back().fraction);
    }
  }
  m.group_key = CollapseGroupKey(trial.controls());
  m.trial = Slim(std::move(trial));
  return m;
}

void TrialCurves::EnsureLoaded(const std::string& sweep_id) {
  {
    absl::MutexLock lock(&mu_);
    if (sweeps_.count(sweep_id)) return;
  }
  auto sweep = store_->GetSweep(sweep_id);
  if (!sweep.ok()) return;
  LoadedSweep loaded;
  loaded.policy.policy = sweep->spec().policy();
  loaded.policy.milestones = DecisionFractions(sweep->spec().policy());
  loaded.policy.synchronous =
      !loaded.policy.policy.asynchronous() && !loaded.policy.milestones.empty();
  // Page by page: the unstarted trials are only counted, so memory never holds the sweep.
  std::string token;
  do {
    auto page = store_->ListTrialsPage(sweep_id, kLoadPage, token);
    if (!page.ok()) return;
    for (v1::Trial& t : page->trials) {
      if (IsUnstarted(t)) {
        if (!t.is_reference()) ++loaded.unstarted[CollapseGroupKey(t.controls())];
        continue;
      }
      std::string id = t.trial_id();
      auto m = ReadMemory(*store_, std::move(t), loaded.policy);
      if (!m.ok()) return;
      loaded.trials.emplace(std::move(id), std::move(*m));
    }
    token = std::move(page->next_page_token);
  } while (!token.empty());
  {
    absl::MutexLock lock(&mu_);
    if (sweeps_.count(sweep_id)) return;  // Loaded concurrently.
    for (const auto& [id, m] : loaded.trials) trial_sweep_[id] = sweep_id;
    sweeps_[sweep_id] = std::move(loaded);
  }
  sink_({CurveEvent::Kind::kRecheck, sweep_id, "", 0, clock_->Now()});
}

void TrialCurves::Adopt(const std::string& trial_id) {
  // Only a live trial: an ended one is held (or dropped) by the row that ended it, and a late
  // batch of it must not read its curve back in.
  auto trial = store_->GetTrial(trial_id);
  if (!trial.ok() || IsUnstarted(*trial) || IsTerminal(trial->state())) return;
  const std::string sweep_id = trial->sweep_id();
  const std::optional<SweepPolicy> policy = Policy(sweep_id);
  if (!policy) return;
  auto m = ReadMemory(*store_, *std::move(trial), *policy);
  if (!m.ok()) return;
  absl::MutexLock lock(&mu_);
  auto sweep = sweeps_.find(sweep_id);
  if (sweep == sweeps_.end() || sweep->second.trials.contains(trial_id)) return;
  CountStarted(sweep->second, *m->trial);
  trial_sweep_[trial_id] = sweep_id;
  sweep->second.trials.emplace(trial_id, *std::move(m));
}

}  // namespace augur
