#include "scheduler/decider.h"

#include <algorithm>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>

namespace augur {
namespace {

void AddDue(std::map<RoundKey, absl::Time>& due, RoundKey key, absl::Time arrived) {
  auto [it, inserted] = due.try_emplace(std::move(key), arrived);
  if (!inserted) it->second = std::min(it->second, arrived);
}

}  // namespace

Decider::Decider(Store* store, const Clock* clock, const TrialCurves* curves,
                 SessionRegistry* sessions, CommitPriority* priority, Activity* activity,
                 SchedulerObserver* observer, std::function<void(std::vector<v1::Trial>)> decided,
                 absl::Duration retry_after)
    : store_(store),
      clock_(clock),
      sessions_(sessions),
      priority_(priority),
      activity_(activity),
      observer_(observer),
      decided_(std::move(decided)),
      retry_after_(retry_after),
      planner_(store, clock, curves, observer) {}

Decider::~Decider() { Stop(); }

void Decider::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Decider::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Decider::Queue(CurveEvent event) {
  activity_->Handed();
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(event));
}

void Decider::WaitIdle() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    const absl::Time now = clock_->Now();
    return stopping_ ||
           (queue_.empty() && !busy_ && (retry_.empty() || now < retry_at_) && now < flush_at_);
  };
  mu_.Await(absl::Condition(&idle));
}

void Decider::Loop() {
  while (true) {
    std::vector<CurveEvent> events;
    Due due;
    bool flush = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        const absl::Time now = clock_->Now();
        return stopping_ || !queue_.empty() || (!retry_.empty() && now >= retry_at_) ||
               now >= flush_at_;
      };
      clock_->AwaitWithDeadline(mu_, absl::Condition(&ready), std::min(retry_at_, flush_at_));
      if (stopping_) break;
      events.swap(queue_);
      const absl::Time now = clock_->Now();
      if (!retry_.empty() && now >= retry_at_) {
        due.swap(retry_);
        retry_at_ = absl::InfiniteFuture();
      }
      flush = now >= flush_at_;
      busy_ = true;
    }
    Run(events, std::move(due), flush);
    absl::MutexLock lock(&mu_);
    busy_ = false;
  }
  // Stored now rather than decided again after the next start.
  if (!deferred_.empty()) Commit(deferred_, 0);
}

void Decider::Run(const std::vector<CurveEvent>& events, Due due, bool flush) {
  // Many trials crossing one milestone while a round ran need one round; the earliest arrival
  // is the one its latency is measured from.
  for (const CurveEvent& e : events) {
    switch (e.kind) {
      case CurveEvent::Kind::kForget:
        planner_.Forget(e.sweep_id);
        break;
      case CurveEvent::Kind::kRecheck: {
        auto undecided = planner_.Undecided(e.sweep_id, e.group_key);
        if (!undecided.ok()) break;  // The store is away: the next load or event rechecks.
        for (RoundKey& k : *undecided) AddDue(due, std::move(k), e.arrived);
        break;
      }
      case CurveEvent::Kind::kMilestone:
        AddDue(due, {e.sweep_id, e.group_key, e.fraction}, e.arrived);
        break;
    }
  }
  // Every round's policy runs first, then one transaction stores all their decisions (a
  // transaction per round would make each wait for the writer's commit in turn). The writer
  // starts no commit meanwhile (for a bounded time), so that the one it may have in flight
  // finishes while the policies run and a stop's transaction finds the store free.
  Due again;
  std::unique_ptr<CommitPriority::Claim> planning;
  if (!due.empty()) planning = std::make_unique<CommitPriority::Claim>(priority_);
  std::vector<PlannedRound> planned;
  std::set<std::string> stopping;  // Trials an earlier round of this batch stops.
  for (const auto& [key, arrived] : due) {
    auto r = planner_.Plan(key, arrived, stopping);
    if (!r.ok()) {
      again.emplace(key, arrived);
    } else if (r->has_value()) {
      planned.push_back(std::move(**r));
    }
  }
  // Stops and releases change trials' states: they are stored at once.
  const bool stops = std::any_of(planned.begin(), planned.end(), [](const PlannedRound& r) {
    return !r.stops.empty() || !r.releases.empty();
  });
  if (!stops) planning.reset();  // Nothing urgent: the writer goes on.
  if (stops) {
    // A stop order waits for this transaction: it goes ahead of the writer's next batch, and
    // takes the deferred CONTINUE decisions along.
    const size_t fresh = planned.size();
    for (PlannedRound& r : deferred_) planned.push_back(std::move(r));
    deferred_.clear();
    const bool stored = Commit(planned, fresh);
    planning.reset();
    // Nothing stored: these rounds are planned again (their trials will not cross these
    // milestones again); the deferred decisions wait for the next flush.
    for (size_t i = 0; i < planned.size() && !stored; ++i) {
      if (i < fresh) {
        planner_.Unpreview(planned[i]);
        AddDue(again, planned[i].key, planned[i].arrived);
      } else {
        deferred_.push_back(std::move(planned[i]));
      }
    }
  } else {
    // CONTINUE decisions change nothing a worker must hear of: they count as decided at once
    // and are stored with the next stop, or in one transaction at most `kDeferFor` later (or
    // once kMaxDeferred wait), so that a burst of milestones costs a few transactions.
    for (PlannedRound& r : planned) {
      for (const v1::Decision& d : r.decisions) {
        planner_.MarkDecided(r.key.sweep_id, d.trial_id(), r.key.fraction);
      }
      deferred_.push_back(std::move(r));
    }
    size_t waiting = 0;
    for (const PlannedRound& r : deferred_) waiting += r.decisions.size();
    if (!deferred_.empty() && (flush || waiting >= kMaxDeferred)) {
      CommitPriority::Claim claim(priority_);
      if (Commit(deferred_, 0)) deferred_.clear();
    }
  }
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (deferred_.empty()) {
      flush_at_ = absl::InfiniteFuture();
    } else if (flush || flush_at_ == absl::InfiniteFuture()) {
      // Newly deferred, or a flush that failed: tried again after `retry_after`.
      flush_at_ = now + (flush ? retry_after_ : kDeferFor);
    }
  }
  if (again.empty()) return;
  activity_->Handed();
  absl::MutexLock lock(&mu_);
  for (auto& [key, arrived] : again) AddDue(retry_, key, arrived);
  retry_at_ = std::min(retry_at_, clock_->Now() + retry_after_);
}

bool Decider::Commit(const std::vector<PlannedRound>& rounds, size_t timed) {
  WriteBatch batch;
  for (const PlannedRound& r : rounds) {
    batch.predictions.insert(batch.predictions.end(), r.previews.begin(), r.previews.end());
    batch.decisions.insert(batch.decisions.end(), r.decisions.begin(), r.decisions.end());
    batch.transitions.insert(batch.transitions.end(), r.stops.begin(), r.stops.end());
    batch.transitions.insert(batch.transitions.end(), r.releases.begin(), r.releases.end());
  }
  const absl::Time commit_start = clock_->Now();
  absl::StatusOr<WriteBatchResult> result = store_->ApplyBatch(batch);
  const absl::Time committed = clock_->Now();
  if (!result.ok()) return false;
  // The orders first, then the rows: a stop order waits for nothing else.
  size_t decision_at = 0, stop_at = 0;  // Offsets of each round's part of the batch.
  std::vector<TrialOrderFor> orders;
  std::vector<absl::Time> since;  // Per order: when its trial reached the milestone.
  std::vector<absl::Duration> reached_to_round;
  std::vector<v1::Trial> changed;  // Stopped or released.
  for (const PlannedRound& r : rounds) {
    for (size_t i = 0; i < r.decisions.size(); ++i) {
      // ALREADY_EXISTS: decided before, and the first decision stands.
      const absl::Status& st = result->decisions[decision_at + i];
      if (st.ok() || absl::IsAlreadyExists(st)) {
        planner_.MarkDecided(r.key.sweep_id, r.decisions[i].trial_id(), r.key.fraction);
      }
    }
    for (size_t i = 0; i < r.stops.size(); ++i) {
      const TransitionResult& t = result->transitions[stop_at + i];
      if (!t.status.ok()) continue;  // Ended meanwhile (completed, or stopped by a user).
      changed.push_back(t.trial);
      if (t.from != v1::TRIAL_STATE_RUNNING || t.worker_id.empty()) continue;
      auto at = r.reached.find(t.trial.trial_id());
      since.push_back(at != r.reached.end() ? at->second : r.arrived);
      reached_to_round.push_back(r.start - since.back());
      orders.push_back({t.worker_id, t.trial.trial_id(), t.fencing_token,
                        v1::TrialOrder::ACTION_STOP, r.stops[i].message});
    }
    for (size_t i = 0; i < r.releases.size(); ++i) {
      const TransitionResult& t = result->transitions[stop_at + r.stops.size() + i];
      if (t.status.ok()) changed.push_back(t.trial);  // Else paused or ended meanwhile.
    }
    decision_at += r.decisions.size();
    stop_at += r.stops.size() + r.releases.size();
  }
  sessions_->SendOrders(orders, clock_->NowUnixMs());
  const absl::Time sent = clock_->Now();
  if (observer_) {
    for (absl::Time s : since) observer_->StopOrderQueued(sent - s);
    std::vector<RoundTiming> timings;
    for (size_t i = 0; i < std::min(timed, rounds.size()); ++i) {
      const PlannedRound& r = rounds[i];
      timings.push_back({r.start - r.arrived, r.decided - r.start, sent - r.start});
    }
    observer_->RoundsCommitted(timings, committed - commit_start, reached_to_round);
  }
  decided_(std::move(changed));
  return true;
}

}  // namespace augur
