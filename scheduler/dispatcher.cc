#include "scheduler/dispatcher.h"

#include <algorithm>

namespace augur {

Dispatcher::Dispatcher(Store* store, const Clock* clock, SessionRegistry* sessions,
                       TrialCurves* curves, Activity* activity, DispatcherOptions options)
    : store_(store),
      clock_(clock),
      sessions_(sessions),
      curves_(curves),
      activity_(activity),
      options_(options),
      next_forget_(clock->Now() + options.forget_interval) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::Wake() {
  activity_->Handed();
  absl::MutexLock lock(&mu_);
  wanted_ = true;
}

void Dispatcher::WaitIdle() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    const absl::Time now = clock_->Now();
    return stopping_ || (!wanted_ && !busy_ && now < next_expiry_ && now < next_forget_);
  };
  mu_.Await(absl::Condition(&idle));
}

void Dispatcher::Loop() {
  while (true) {
    bool expire = false, forget = false;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        const absl::Time now = clock_->Now();
        return stopping_ || wanted_ || now >= next_expiry_ || now >= next_forget_;
      };
      clock_->AwaitWithDeadline(mu_, absl::Condition(&wake), std::min(next_expiry_, next_forget_));
      if (stopping_) return;
      const absl::Time now = clock_->Now();
      expire = now >= next_expiry_;
      forget = now >= next_forget_;
      if (expire) next_expiry_ = now + options_.maintenance_interval;
      if (forget) next_forget_ = now + options_.forget_interval;
      wanted_ = false;
      busy_ = true;
    }
    if (expire) {
      auto expired = store_->ExpireLeases();
      if (expired.ok() && !expired->empty()) {
        for (const LeaseInfo& l : *expired) curves_->Refresh(l.trial_id);
        activity_->Changed();
      }
    }
    if (forget) curves_->ForgetEnded();
    Dispatch();
    absl::MutexLock lock(&mu_);
    busy_ = false;
  }
}

int Dispatcher::GpuNeedOf(const std::string& trial_id) {
  if (auto need = curves_->GpuNeedOf(trial_id)) return *need;
  auto t = store_->GetTrial(trial_id);
  return t.ok() ? GpuNeed(*t) : 1;
}

std::string Dispatcher::HeldWorker(DeviceKind kind,
                                   const std::vector<std::shared_ptr<WorkerSession>>& sessions,
                                   const BySlots& by_free, const std::map<std::string, int>& used,
                                   const std::map<std::string, DeviceKind>& kinds) {
  const auto of_kind = [&](const WorkerSession& s) {
    auto it = kinds.find(s.worker_id());
    return (it == kinds.end() ? DeviceKind::kGpu : it->second) == kind;
  };
  bool any = false;
  for (const auto& [free, s] : by_free) any = any || of_kind(*s);
  if (!any) return "";  // No worker of this kind takes leases now anyway.
  auto head = store_->HeadPendingNeed(kind);
  if (!head.ok() || *head <= 1) return "";
  for (const auto& [free, s] : by_free) {
    if (of_kind(*s) && free >= *head) return "";  // It fits now: AcquireLeases places it.
  }
  std::string best;
  int best_free = -1;
  for (const auto& s : sessions) {
    if (s->closed() || s->slots() < *head || !of_kind(*s)) continue;
    auto in_use = used.find(s->worker_id());
    const int free = s->slots() - (in_use == used.end() ? 0 : in_use->second);
    if (free > best_free) {
      best = s->worker_id();
      best_free = free;
    }
  }
  return best;
}

void Dispatcher::Dispatch() {
  const std::vector<std::shared_ptr<WorkerSession>> sessions = sessions_->Current();
  if (sessions.empty()) return;
  auto workers = store_->ListWorkers();
  if (!workers.ok()) return;  // Store trouble: the next round retries.
  // Slots (GPUs, or CPU slots) in use on each worker: the sum of its live leases' needs.
  std::map<std::string, int> used;
  std::map<std::string, DeviceKind> kinds;  // As each worker registered.
  for (const v1::WorkerInfo& w : *workers) {
    for (const std::string& id : w.trial_ids()) used[w.worker_id()] += GpuNeedOf(id);
    kinds[w.worker_id()] = w.gpus() > 0 ? DeviceKind::kGpu : DeviceKind::kCpuOnly;
  }
  // Best fit: the workers with the fewest free slots are filled first, so a trial that needs
  // k slots on one worker finds them on the emptier ones. The worker's own LeaseRequest (in
  // slots) caps it too.
  BySlots by_free;
  for (const auto& s : sessions) {
    const int free = std::min(s->slots() - used[s->worker_id()], s->wanted());
    if (free > 0 && !s->closed()) by_free.emplace_back(free, s);
  }
  std::stable_sort(by_free.begin(), by_free.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Workers of each kind are held back for the first trial they alone may take.
  const std::string held[] = {HeldWorker(DeviceKind::kGpu, sessions, by_free, used, kinds),
                              HeldWorker(DeviceKind::kCpuOnly, sessions, by_free, used, kinds)};
  bool granted_any = false;
  for (auto& [free, s] : by_free) {
    if (s->worker_id() == held[0] || s->worker_id() == held[1]) continue;
    const auto kind = kinds.find(s->worker_id());
    auto grants = store_->AcquireLeases(s->worker_id(), options_.lease_ttl, free, free,
                                        kind == kinds.end() ? DeviceKind::kGpu : kind->second);
    if (!grants.ok()) return;  // Store trouble: the next round retries.
    for (const LeaseGrant& g : *grants) {
      // In memory before its first points are committed.
      curves_->EnsureLoaded(g.trial.sweep_id());
      const double run_until = curves_->Granted(g.trial, g.lease.fencing_token());
      // Counted before it is sent: a LeaseRequest the worker makes after seeing the lease
      // already accounts for it and must not be reduced by it afterwards.
      s->TakeWanted(GpuNeed(g.trial));
      v1::SchedulerMessage m;
      *m.mutable_lease() = g.lease;
      m.mutable_lease()->set_run_until_fraction(run_until);
      s->Send(std::move(m));
      granted_any = true;
    }
  }
  if (granted_any) activity_->Changed();
}

}  // namespace augur
