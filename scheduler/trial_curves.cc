#include "scheduler/trial_curves.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

#include "scheduler/policy_runner.h"

namespace augur {
namespace {

// Decision curves keep at most this many points per run: consecutive points in the same
// 1/kBlocksPerRun of training merge into their mean loss, stamped with the latest point's
// step and fraction. 0.1% of training is finer than any window the policies smooth or align
// over.
constexpr double kBlocksPerRun = 1000;

}  // namespace

void TrialCurves::AppendToCurve(TrialMemory& m, const predictor::CurvePoint& p) {
  std::vector<predictor::CurvePoint>& curve = m.points;
  int& merged = m.merged;
  if (!curve.empty()) {
    predictor::CurvePoint& last = curve.back();
    if (std::floor(last.fraction * kBlocksPerRun) == std::floor(p.fraction * kBlocksPerRun)) {
      ++merged;
      const double loss = last.loss + (p.loss - last.loss) / merged;
      last = p;
      last.loss = loss;
      return;
    }
  }
  curve.push_back(p);
  merged = 1;
}

bool TrialCurves::KeepsDecisionPrefix(const v1::Trial& trial, const SweepPolicy& policy) {
  return !policy.milestones.empty() && IsTerminal(trial.state()) && !trial.is_reference();
}

double TrialCurves::PrefixLimit(const SweepPolicy& policy) {
  return MilestoneWindowEnd(policy.milestones.back());
}

double TrialCurves::HeadToRead(const SweepPolicy& policy) {
  // Two blocks past the limit: every block up to the limit's is read whole, so its points merge
  // as they do when the whole curve is read, and the cut keeps the same points.
  return PrefixLimit(policy) + 2 / kBlocksPerRun;
}

void TrialCurves::KeepDecisionPrefix(TrialMemory& m, const SweepPolicy& policy) {
  m.reached.clear();
  std::vector<predictor::CurvePoint>& curve = m.points;
  if (curve.size() < 2) return;
  // The first point past the window, other than the last one (kept).
  const auto cut =
      std::upper_bound(curve.begin(), curve.end() - 1, PrefixLimit(policy),
                       [](double f, const predictor::CurvePoint& p) { return f < p.fraction; });
  if (cut == curve.end() - 1) return;  // Nothing between the window and the last point.
  std::vector<predictor::CurvePoint> kept;
  kept.reserve(static_cast<size_t>(cut - curve.begin()) + 1);  // Exactly: memory is freed.
  kept.assign(curve.begin(), cut);
  kept.push_back(curve.back());
  curve = std::move(kept);
}

TrialCurves::TrialCurves(Store* store, const Clock* clock, std::function<void(CurveEvent)> sink)
    : store_(store), clock_(clock), sink_(std::move(sink)) {}

void TrialCurves::TakeArrived(const v1::LossPointBatch& batch, absl::Time arrived) {
  bool held = false;
  std::vector<CurveEvent> events = Append(batch, arrived, held);
  if (!held) {
    // After a restart, the first batch of a sweep loads it; the store does not hold this batch
    // yet, so it is appended after the load. A trial memory counted as unstarted (leased while
    // its sweep was loading) is read in first.
    auto t = store_->GetTrial(batch.trial_id());
    if (!t.ok()) return;
    EnsureLoaded(t->sweep_id());
    Adopt(batch.trial_id());
    events = Append(batch, arrived, held);
  }
  for (CurveEvent& e : events) sink_(std::move(e));
}

void TrialCurves::TakeCommitted(const CommittedWrites& writes) {
  std::vector<CurveEvent> events;
  {
    absl::MutexLock lock(&mu_);
    for (const v1::Trial& t : writes.ended) UpdateLocked(t, 0, events);
  }
  for (const std::string& id : writes.diverged) Refresh(id);
  for (CurveEvent& e : events) sink_(std::move(e));
}

std::vector<CurveEvent> TrialCurves::Append(const v1::LossPointBatch& batch, absl::Time arrived,
                                            bool& held) {
  // Points may come in any order within a batch; memory takes them in step order.
  std::vector<const v1::LossPoint*> sorted;
  sorted.reserve(batch.points_size());
  for (const v1::LossPoint& p : batch.points()) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(),
            [](const v1::LossPoint* a, const v1::LossPoint* b) { return a->step() < b->step(); });
  std::vector<CurveEvent> events;
  absl::MutexLock lock(&mu_);
  auto sweep = trial_sweep_.find(batch.trial_id());
  held = sweep != trial_sweep_.end() && sweeps_.count(sweep->second) > 0;
  if (!held || sorted.empty()) return {};
  LoadedSweep& s = sweeps_.at(sweep->second);
  auto found = s.trials.find(batch.trial_id());
  if (found == s.trials.end() || !found->second.trial) return {};
  TrialMemory& tm = found->second;
  if (tm.trial->state() != v1::TRIAL_STATE_RUNNING || tm.fencing_token != batch.fencing_token()) {
    return {};  // Not under the live lease: only the store can tell what it is.
  }
  // The batch crosses a milestone if the trial was before it without the batch and at it with
  // it (judged on the batch, not on what memory lacked: after a load from the store, memory
  // may already hold the batch).
  double prev = 0, top = 0;
  auto before =
      std::lower_bound(tm.points.begin(), tm.points.end(), sorted.front()->step(),
                       [](const predictor::CurvePoint& p, int64_t step) { return p.step < step; });
  if (before != tm.points.begin()) prev = std::prev(before)->fraction;
  for (const v1::LossPoint* p : sorted) {
    if (!std::isfinite(p->train_loss())) break;  // The store keeps nothing from here on.
    top = std::max(top, p->fraction());
    if (!tm.points.empty() && p->step() <= tm.points.back().step) continue;
    AppendToCurve(
        tm, {p->step(), static_cast<double>(p->tokens()), p->fraction(), p->train_loss(), p->lr()});
  }
  if (tm.trial->is_reference()) return {};  // References are never stopped.
  for (double m : s.policy.milestones) {
    const double edge = m - kMilestoneTolerance;
    // Stop latency is measured from when the trial reached m.
    if (prev < edge && top >= edge && tm.reached.emplace(m, arrived).second) {
      events.push_back({CurveEvent::Kind::kMilestone, sweep->second, tm.group_key, m, arrived});
    }
  }
  return events;
}

void TrialCurves::Update(std::span<const v1::Trial> trials) {
  std::vector<CurveEvent> events;
  {
    absl::MutexLock lock(&mu_);
    for (const v1::Trial& t : trials) UpdateLocked(t, -1, events);
  }
  for (CurveEvent& e : events) sink_(std::move(e));
}

double TrialCurves::Granted(const v1::Trial& trial, int64_t fencing_token) {
  std::vector<CurveEvent> events;
  double run_until = 0;
  {
    absl::MutexLock lock(&mu_);
    if (TrialMemory* m = UpdateLocked(trial, fencing_token, events); m != nullptr) {
      const SweepPolicy& policy = sweeps_.at(trial.sweep_id()).policy;
      if (policy.synchronous && !trial.is_reference()) {
        run_until =
            RunUntilFraction(policy.milestones, m->points.empty() ? 0 : m->points.back().fraction);
      }
      m->run_until = run_until;
    }
  }
  for (CurveEvent& e : events) sink_(std::move(e));
  return run_until;
}

TrialCurves::TrialMemory* TrialCurves::UpdateLocked(const v1::Trial& trial, int64_t fencing_token,
                                                    std::vector<CurveEvent>& events) {
  auto sweep = sweeps_.find(trial.sweep_id());
  if (sweep == sweeps_.end()) return nullptr;  // Not loaded: a later load reads the fresh row.
  auto held = sweep->second.trials.find(trial.trial_id());
  const bool newly_held = held == sweep->second.trials.end();
  if (newly_held) {
    // Every trial of a loaded sweep that memory does not hold was unstarted at its load.
    if (IsUnstarted(trial)) return nullptr;
    CountStarted(sweep->second, trial);
    held = sweep->second.trials.emplace(trial.trial_id(), TrialMemory{}).first;
  }
  TrialMemory& m = held->second;
  // A row from before a newer lease (each grant counts an attempt) is stale: the decider's
  // release of a waiting trial can reach memory after the dispatcher leased it again, and
  // taking it would drop the new lease's points (Append keeps only the live lease's), leaving
  // the trial short of its milestone in memory for ever.
  if (m.trial && trial.attempts() < m.trial->attempts()) return &m;
  const v1::TrialState was = newly_held ? v1::TRIAL_STATE_PENDING : m.trial->state();
  if (trial.state() != v1::TRIAL_STATE_RUNNING) {
    m.fencing_token = 0;
    m.run_until = 0;
  } else if (fencing_token >= 0) {
    m.fencing_token = fencing_token;
  }
  m.trial = Slim(trial);
  m.group_key = CollapseGroupKey(trial.controls());
  trial_sweep_[trial.trial_id()] = trial.sweep_id();
  // A reference run ended: trials of any group that waited for the references may be decided
  // now (each trial's reference matches its own controls, not its group's).
  auto ended = [](v1::TrialState s) {
    return s != v1::TRIAL_STATE_UNSPECIFIED && s != v1::TRIAL_STATE_PENDING &&
           s != v1::TRIAL_STATE_RUNNING && s != v1::TRIAL_STATE_PAUSED &&
           s != v1::TRIAL_STATE_WAITING;
  };
  const bool reference_done = trial.is_reference() && ended(trial.state()) && !ended(was);
  // Synchronous: a trial that stopped running (waiting at a milestone, lease lost, paused,
  // ended) may have been the last to hold its group at a milestone. A release from WAITING
  // follows a decision, and a new lease holds nothing new.
  const bool may_release =
      sweep->second.policy.synchronous && !trial.is_reference() && was != trial.state() &&
      trial.state() != v1::TRIAL_STATE_RUNNING && was != v1::TRIAL_STATE_UNSPECIFIED &&
      !(was == v1::TRIAL_STATE_WAITING && trial.state() == v1::TRIAL_STATE_PENDING);
  if (reference_done) {
    events.push_back({CurveEvent::Kind::kRecheck, trial.sweep_id(), "", 0, clock_->Now()});
  } else if (may_release) {
    events.push_back({CurveEvent::Kind::kRecheck, trial.sweep_id(), m.group_key, 0, clock_->Now()});
  }
  // A sweep without milestones compares no curves: an ended trial that is not a reference
  // leaves memory (a repeated row of it comes back only to leave again). With milestones, it
  // keeps what the comparisons read of it (terminal states have no way out: its curve is
  // final).
  if (sweep->second.policy.milestones.empty() && IsTerminal(trial.state()) &&
      !trial.is_reference()) {
    sweep->second.trials.erase(held);
    trial_sweep_.erase(trial.trial_id());
    return nullptr;
  }
  if (KeepsDecisionPrefix(trial, sweep->second.policy)) {
    KeepDecisionPrefix(m, sweep->second.policy);
  }
  return &m;
}

void TrialCurves::Refresh(const std::string& trial_id) {
  auto t = store_->GetTrial(trial_id);
  if (!t.ok()) return;
  int64_t token = 0;
  if (t->state() == v1::TRIAL_STATE_RUNNING) {
    auto lease = store_->GetLease(trial_id);
    if (!lease.ok()) return;
    token = lease->fencing_token;
  }
  std::vector<CurveEvent> events;
  {
    absl::MutexLock lock(&mu_);
    UpdateLocked(*t, token, events);  // A lease it still holds keeps its run_until.
  }
  for (CurveEvent& e : events) sink_(std::move(e));
}

void TrialCurves::ForgetEnded() {
  std::vector<std::string> loaded;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, s] : sweeps_) loaded.push_back(id);
  }
  for (const std::string& id : loaded) {
    auto sweep = store_->GetSweep(id);
    // A deleted sweep (NOT_FOUND) goes too; a store error keeps it for the next round.
    if (sweep.ok() ? sweep->state() == v1::Sweep::STATE_RUNNING
                   : !absl::IsNotFound(sweep.status())) {
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      auto it = sweeps_.find(id);
      if (it == sweeps_.end()) continue;
      for (const auto& [trial_id, m] : it->second.trials) trial_sweep_.erase(trial_id);
      sweeps_.erase(it);
    }
    sink_({CurveEvent::Kind::kForget, id, "", 0, clock_->Now()});
  }
}

std::optional<TrialCurves::SweepPolicy> TrialCurves::Policy(const std::string& sweep_id) const {
  absl::MutexLock lock(&mu_);
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) return std::nullopt;
  return it->second.policy;
}

std::optional<int> TrialCurves::GpuNeedOf(const std::string& trial_id) const {
  absl::MutexLock lock(&mu_);
  auto sweep = trial_sweep_.find(trial_id);
  if (sweep == trial_sweep_.end()) return std::nullopt;
  auto trials = sweeps_.find(sweep->second);
  if (trials == sweeps_.end()) return std::nullopt;
  auto it = trials->second.trials.find(trial_id);
  if (it == trials->second.trials.end() || !it->second.trial) return std::nullopt;
  return GpuNeed(*it->second.trial);
}

bool TrialCurves::Visit(const std::string& sweep_id, const std::string& group_key,
                        absl::FunctionRef<void(std::span<const CurveEntry>)> visit) const {
  absl::MutexLock lock(&mu_);
  auto loaded = sweeps_.find(sweep_id);
  if (loaded == sweeps_.end()) return false;
  std::vector<CurveEntry> entries;
  entries.reserve(loaded->second.trials.size());
  for (const auto& [id, tm] : loaded->second.trials) {
    if (!tm.trial || (!group_key.empty() && tm.group_key != group_key)) continue;
    entries.push_back(CurveEntry{id, tm.trial, tm.group_key, tm.points, tm.reached, tm.run_until});
  }
  visit(entries);
  return true;
}

bool TrialCurves::HasUnstarted(const std::string& sweep_id, const std::string& group_key) const {
  absl::MutexLock lock(&mu_);
  auto loaded = sweeps_.find(sweep_id);
  return loaded != sweeps_.end() && loaded->second.unstarted.contains(group_key);
}

size_t TrialCurves::held_trials() const {
  absl::MutexLock lock(&mu_);
  size_t held = 0;
  for (const auto& [id, sweep] : sweeps_) held += sweep.trials.size();
  return held;
}

size_t TrialCurves::held_points() const {
  absl::MutexLock lock(&mu_);
  size_t held = 0;
  for (const auto& [id, sweep] : sweeps_) {
    for (const auto& [trial_id, m] : sweep.trials) held += m.points.size();
  }
  return held;
}

size_t TrialCurves::loaded_sweeps() const {
  absl::MutexLock lock(&mu_);
  return sweeps_.size();
}

}  // namespace augur
