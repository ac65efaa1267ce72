#include "scheduler/scheduler.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "scheduler/policy_runner.h"
#include "scheduler/ranking.h"

namespace augur {
namespace {

// How often the curves of sweeps that ended are dropped from memory.
constexpr absl::Duration kForgetInterval = absl::Seconds(30);

}  // namespace

// ---- WorkerSession ----

void WorkerSession::Send(v1::SchedulerMessage msg) {
  absl::MutexLock lock(&mu_);
  if (!closed_) queue_.push_back(std::move(msg));
}

bool WorkerSession::Next(v1::SchedulerMessage* msg, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closed_ || !queue_.empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (queue_.empty()) return false;
  *msg = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void WorkerSession::SetWanted(int slots) {
  absl::MutexLock lock(&mu_);
  wanted_ = std::max(0, slots);
}

int WorkerSession::wanted() const {
  absl::MutexLock lock(&mu_);
  return wanted_;
}

void WorkerSession::TakeWanted(int slots) {
  absl::MutexLock lock(&mu_);
  if (wanted_ != std::numeric_limits<int>::max()) wanted_ = std::max(0, wanted_ - slots);
}

void WorkerSession::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool WorkerSession::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

// ---- Scheduler: lifecycle ----

Scheduler::Scheduler(Store* store, Clock* clock, SchedulerOptions options, SweepPlanner planner)
    : store_(store), clock_(clock), options_(options), planner_(std::move(planner)) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  RecoverDecisions();
  writer_ = std::thread([this] { WriterLoop(); });
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  decider_ = std::thread([this] { DeciderLoop(); });
}

void Scheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, s] : sessions_) s->Close();
  }
  {
    absl::MutexLock lock(&queue_mu_);  // Wake the writer so it drains and exits.
  }
  if (writer_.joinable()) writer_.join();
  if (maintenance_.joinable()) maintenance_.join();
  {
    absl::MutexLock lock(&decide_mu_);
    decider_stop_ = true;
  }
  if (decider_.joinable()) decider_.join();
}

void Scheduler::RecoverDecisions() {
  // A STOP decision is stored before it is executed; if the scheduler died in between, the
  // trial is still live. Execute such decisions now, so every stored decision has taken effect.
  std::string token;
  do {
    auto page = store_->ListSweeps(100, token);
    if (!page.ok()) return;
    for (const v1::Sweep& sweep : page->sweeps) {
      if (sweep.state() != v1::Sweep::STATE_RUNNING) continue;
      auto trials = store_->ListTrials(sweep.sweep_id());
      if (!trials.ok()) continue;
      for (const v1::Trial& t : *trials) {
        if (IsTerminal(t.state()) || !t.has_last_decision() ||
            t.last_decision().action() != v1::DECISION_ACTION_STOP) {
          continue;
        }
        EndTrial(t.trial_id(), v1::TRIAL_STATE_STOPPED, t.last_decision().reason(), clock_->Now())
            .IgnoreError();
      }
    }
    token = page->next_page_token;
  } while (!token.empty());
}

void Scheduler::Bump() {
  absl::MutexLock lock(&mu_);
  ++version_;
}

int64_t Scheduler::WaitForChange(int64_t seen, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto changed = [this, seen]()
                     ABSL_SHARED_LOCKS_REQUIRED(mu_) { return version_ > seen || stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
  return version_;
}

StopLatencyStats Scheduler::stop_latency() const {
  absl::MutexLock lock(&mu_);
  return stop_latency_;
}

int64_t Scheduler::points_committed() const {
  absl::MutexLock lock(&mu_);
  return points_committed_;
}

// ---- WorkerService ----

absl::StatusOr<v1::RegisterWorkerResponse> Scheduler::RegisterWorker(
    const v1::RegisterWorkerRequest& req) {
  if (req.worker_id().empty()) return absl::InvalidArgumentError("worker_id is empty");
  if (req.gpus() < 0 || req.cpu_slots() < 0 || (req.gpus() == 0 && req.cpu_slots() == 0)) {
    return absl::InvalidArgumentError("a worker must offer at least one GPU or CPU slot");
  }
  v1::WorkerInfo info;
  info.set_worker_id(req.worker_id());
  info.set_hostname(req.hostname());
  info.set_total_slots(req.gpus() > 0 ? req.gpus() : req.cpu_slots());
  info.set_free_slots(info.total_slots());
  info.set_connected(false);
  info.set_last_heartbeat_unix_ms(clock_->NowUnixMs());
  info.set_device(req.device());
  RETURN_IF_ERROR(store_->UpsertWorker(info));
  static std::mt19937_64 rng(std::random_device{}());
  v1::RegisterWorkerResponse resp;
  {
    absl::MutexLock lock(&mu_);
    const std::string token = absl::StrFormat("%016x%016x", rng(), rng());
    tokens_[req.worker_id()] = token;
    resp.set_session_token(token);
  }
  resp.set_heartbeat_interval_ms(
      static_cast<int32_t>(absl::ToInt64Milliseconds(options_.heartbeat_interval)));
  resp.set_lease_timeout_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(options_.lease_ttl)));
  resp.set_max_points_per_batch(options_.max_points_per_batch);
  return resp;
}

absl::StatusOr<std::shared_ptr<WorkerSession>> Scheduler::OpenSession(
    const v1::SessionHello& hello) {
  {
    absl::MutexLock lock(&mu_);
    auto it = tokens_.find(hello.worker_id());
    if (it == tokens_.end() || it->second != hello.session_token()) {
      return absl::UnauthenticatedError(absl::StrCat("unknown session token for worker '",
                                                     hello.worker_id(), "': register first"));
    }
    if (stopping_) return absl::UnavailableError("scheduler is shutting down");
  }
  int slots = 1;
  ASSIGN_OR_RETURN(auto workers, store_->ListWorkers());
  for (v1::WorkerInfo& w : workers) {
    if (w.worker_id() != hello.worker_id()) continue;
    slots = std::max(1, w.total_slots());
    w.set_connected(true);
    w.set_last_heartbeat_unix_ms(clock_->NowUnixMs());
    RETURN_IF_ERROR(store_->UpsertWorker(w));
  }
  // A held lease stays valid only if the store still has it for this worker under the same
  // token; the others were expired and fenced off while the worker was away.
  RETURN_IF_ERROR(store_->RenewLeases(hello.worker_id(), options_.lease_ttl).status());
  v1::SchedulerMessage accepted;
  accepted.mutable_accepted()->set_server_unix_ms(clock_->NowUnixMs());
  for (const v1::HeldLease& h : hello.held_leases()) {
    auto lease = store_->GetLease(h.trial_id());
    if (!lease.ok()) continue;
    if (lease->worker_id == hello.worker_id() && lease->fencing_token == h.fencing_token()) {
      *accepted.mutable_accepted()->add_valid_leases() = h;
    }
  }
  std::shared_ptr<WorkerSession> session;
  std::shared_ptr<WorkerSession> old;
  {
    absl::MutexLock lock(&mu_);
    session = std::make_shared<WorkerSession>(hello.worker_id(), slots, next_session_id_++);
    // SessionAccepted goes first, before dispatch can see the session and queue a lease.
    session->Send(std::move(accepted));
    auto it = sessions_.find(hello.worker_id());
    if (it != sessions_.end()) old = it->second;
    sessions_[hello.worker_id()] = session;
    dispatch_wanted_ = true;
    ++version_;
  }
  if (old) old->Close();
  return session;
}

void Scheduler::CloseSession(const std::shared_ptr<WorkerSession>& session) {
  session->Close();
  bool was_current = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(session->worker_id());
    if (it != sessions_.end() && it->second == session) {
      sessions_.erase(it);
      was_current = true;
      ++version_;
    }
  }
  if (!was_current) return;
  // Leases are not revoked here: a worker that reconnects within the lease TTL keeps them.
  auto workers = store_->ListWorkers();
  if (!workers.ok()) return;
  for (v1::WorkerInfo& w : *workers) {
    if (w.worker_id() != session->worker_id()) continue;
    w.set_connected(false);
    store_->UpsertWorker(w).IgnoreError();
  }
}

void Scheduler::HandleWorkerMessage(const std::shared_ptr<WorkerSession>& session,
                                    const v1::WorkerMessage& msg) {
  auto reject = [&](absl::StatusCode code, const std::string& why, const std::string& trial) {
    v1::SchedulerMessage r;
    r.mutable_rejection()->set_code(static_cast<int32_t>(code));
    r.mutable_rejection()->set_message(why);
    r.mutable_rejection()->set_trial_id(trial);
    session->Send(std::move(r));
  };
  switch (msg.kind_case()) {
    case v1::WorkerMessage::kHeartbeat: {
      store_->RenewLeases(session->worker_id(), options_.lease_ttl).IgnoreError();
      auto workers = store_->ListWorkers();
      if (workers.ok()) {
        for (v1::WorkerInfo& w : *workers) {
          if (w.worker_id() != session->worker_id()) continue;
          w.set_free_slots(msg.heartbeat().free_slots());
          w.set_connected(true);
          w.set_last_heartbeat_unix_ms(clock_->NowUnixMs());
          store_->UpsertWorker(w).IgnoreError();
        }
      }
      return;
    }
    case v1::WorkerMessage::kLeaseRequest: {
      // The worker's own count caps what dispatch grants (a worker shutting down asks for 0);
      // the scheduler's count of live leases caps it too.
      session->SetWanted(msg.lease_request().slots());
      absl::MutexLock lock(&mu_);
      dispatch_wanted_ = true;
      return;
    }
    case v1::WorkerMessage::kPoints:
      if (msg.points().points_size() > options_.max_points_per_batch) {
        reject(absl::StatusCode::kInvalidArgument,
               absl::StrCat("batch of ", msg.points().points_size(),
                            " points exceeds the limit of ", options_.max_points_per_batch),
               msg.points().trial_id());
        return;
      }
      // Seen by the decision path now, durable (and acknowledged) after the writer's commit.
      Remember(msg.points(), /*check_lease=*/true, clock_->Now());
      [[fallthrough]];
    case v1::WorkerMessage::kCheckpoint:
    case v1::WorkerMessage::kEnded: {
      absl::MutexLock lock(&queue_mu_);
      queue_.push_back(PendingWrite{session, msg, clock_->Now(), {}, {}});
      return;
    }
    case v1::WorkerMessage::kOrderAck:
      return;  // Orders are idempotent; an ack is informational.
    case v1::WorkerMessage::kHello:
      reject(absl::StatusCode::kFailedPrecondition, "hello sent twice", "");
      return;
    case v1::WorkerMessage::KIND_NOT_SET:
      reject(absl::StatusCode::kInvalidArgument, "empty message", "");
      return;
  }
}

// ---- Dispatch and maintenance ----

void Scheduler::ForgetFinishedSweeps() {
  std::vector<std::string> loaded;
  {
    absl::MutexLock lock(&mem_mu_);
    for (const auto& [id, trials] : mem_) loaded.push_back(id);
  }
  for (const std::string& id : loaded) {
    auto sweep = store_->GetSweep(id);
    if (!sweep.ok() || sweep->state() == v1::Sweep::STATE_RUNNING) continue;
    absl::MutexLock lock(&mem_mu_);
    auto it = mem_.find(id);
    if (it == mem_.end()) continue;
    for (const auto& [trial_id, m] : it->second) trial_sweep_.erase(trial_id);
    mem_.erase(it);
  }
}

size_t Scheduler::loaded_sweeps() const {
  absl::MutexLock lock(&mem_mu_);
  return mem_.size();
}

int Scheduler::GpusOf(const std::string& trial_id) {
  {
    absl::MutexLock lock(&mem_mu_);
    auto sweep = trial_sweep_.find(trial_id);
    auto trials = sweep == trial_sweep_.end() ? mem_.end() : mem_.find(sweep->second);
    if (trials != mem_.end()) {
      auto it = trials->second.find(trial_id);
      if (it != trials->second.end() && it->second.trial) {
        return std::max(1, it->second.trial->config().resources().gpus());
      }
    }
  }
  auto t = store_->GetTrial(trial_id);
  return t.ok() ? std::max(1, t->config().resources().gpus()) : 1;
}

std::string Scheduler::HeldWorker(
    const std::vector<std::shared_ptr<WorkerSession>>& sessions,
    const std::vector<std::pair<int, std::shared_ptr<WorkerSession>>>& by_free,
    const std::map<std::string, int>& used) {
  if (by_free.empty()) return "";  // Nobody takes leases now anyway.
  auto head = store_->HeadPendingNeed();
  if (!head.ok() || *head <= 1) return "";
  for (const auto& [free, s] : by_free) {
    if (free >= *head) return "";  // It fits now: AcquireLeases places it.
  }
  std::string best;
  int best_free = -1;
  for (const auto& s : sessions) {
    if (s->closed() || s->slots() < *head) continue;
    auto in_use = used.find(s->worker_id());
    const int free = s->slots() - (in_use == used.end() ? 0 : in_use->second);
    if (free > best_free) {
      best = s->worker_id();
      best_free = free;
    }
  }
  return best;
}

void Scheduler::Dispatch() {
  absl::MutexLock dispatch_lock(&dispatch_mu_);
  std::vector<std::shared_ptr<WorkerSession>> sessions;
  {
    absl::MutexLock lock(&mu_);
    dispatch_wanted_ = false;
    if (stopping_) return;
    for (auto& [id, s] : sessions_) sessions.push_back(s);
  }
  auto workers = store_->ListWorkers();
  if (!workers.ok()) return;
  // Slots (GPUs, or CPU slots) in use on each worker: the sum of its live leases' needs.
  std::map<std::string, int> used;
  for (const v1::WorkerInfo& w : *workers) {
    for (const std::string& id : w.trial_ids()) used[w.worker_id()] += GpusOf(id);
  }
  // Best fit: the workers with the fewest free slots are filled first, so a trial that needs
  // k slots on one worker finds them on the emptier ones.
  std::vector<std::pair<int, std::shared_ptr<WorkerSession>>> by_free;
  for (const auto& s : sessions) {
    // The worker's own LeaseRequest (in slots) caps it too.
    const int free = std::min(s->slots() - used[s->worker_id()], s->wanted());
    if (free > 0 && !s->closed()) by_free.emplace_back(free, s);
  }
  std::stable_sort(by_free.begin(), by_free.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // A trial first in line that fits on no worker's free slots would be overtaken for ever by
  // smaller ones. The worker that can hold it and has the most free slots takes nothing else
  // until enough of its trials end (the others go on as usual).
  const std::string held = HeldWorker(sessions, by_free, used);
  bool granted_any = false;
  for (auto& [free, s] : by_free) {
    if (s->worker_id() == held) continue;
    auto grants = store_->AcquireLeases(s->worker_id(), options_.lease_ttl, free, free);
    if (!grants.ok()) return;  // Store trouble: the next maintenance round retries.
    for (const LeaseGrant& g : *grants) {
      // Loaded before its first points arrive, so that they reach the decision path at once.
      EnsureLoaded(g.trial.sweep_id());
      UpdateMemory(g.trial, g.lease.fencing_token());
      // Counted before it is sent: a LeaseRequest the worker makes after seeing the lease
      // already accounts for it and must not be reduced by it afterwards.
      s->TakeWanted(std::max(1, g.lease.config().resources().gpus()));
      v1::SchedulerMessage m;
      *m.mutable_lease() = g.lease;
      s->Send(std::move(m));
      granted_any = true;
    }
  }
  if (granted_any) Bump();
}

void Scheduler::MaintenanceLoop() {
  absl::Time next_expiry = absl::InfinitePast();
  absl::Time next_forget = clock_->Now() + kForgetInterval;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || dispatch_wanted_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.maintenance_interval);
      if (stopping_) return;
    }
    if (clock_->Now() >= next_expiry) {
      auto expired = store_->ExpireLeases();
      if (expired.ok() && !expired->empty()) {
        for (const LeaseInfo& l : *expired) RefreshTrial(l.trial_id);
        Bump();
      }
      next_expiry = clock_->Now() + options_.maintenance_interval;
    }
    if (clock_->Now() >= next_forget) {
      ForgetFinishedSweeps();
      next_forget = clock_->Now() + kForgetInterval;
    }
    Dispatch();
  }
}

// ---- SweepService ----

absl::StatusOr<v1::Sweep> Scheduler::CachedSweep(const std::string& sweep_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = sweeps_.find(sweep_id);
    if (it != sweeps_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(v1::Sweep sweep, store_->GetSweep(sweep_id));
  absl::MutexLock lock(&mu_);
  sweeps_[sweep_id] = sweep;
  return sweep;
}

absl::StatusOr<std::vector<double>> Scheduler::Milestones(const std::string& sweep_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = milestones_.find(sweep_id);
    if (it != milestones_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(v1::Sweep sweep, CachedSweep(sweep_id));
  std::vector<double> fractions = DecisionFractions(sweep.spec().policy());
  absl::MutexLock lock(&mu_);
  milestones_[sweep_id] = fractions;
  return fractions;
}

absl::StatusOr<v1::SubmitSweepResponse> Scheduler::Submit(const v1::SubmitSweepRequest& req) {
  if (!planner_) return absl::UnimplementedError("this scheduler has no sweep planner");
  static std::mt19937 rng(std::random_device{}());
  std::string sweep_id;
  {
    absl::MutexLock lock(&mu_);
    sweep_id =
        absl::StrCat("s-", absl::FormatTime("%Y%m%d-%H%M%S", clock_->Now(), absl::UTCTimeZone()),
                     "-", absl::StrFormat("%04x", rng() & 0xffff));
  }
  ASSIGN_OR_RETURN(std::vector<v1::Trial> trials, planner_(req.spec(), sweep_id));
  v1::Sweep sweep;
  sweep.set_sweep_id(sweep_id);
  *sweep.mutable_spec() = req.spec();
  sweep.set_state(v1::Sweep::STATE_RUNNING);
  sweep.set_created_unix_ms(clock_->NowUnixMs());
  RETURN_IF_ERROR(store_->CreateSweep(sweep, trials));
  ASSIGN_OR_RETURN(v1::Sweep stored, store_->GetSweep(sweep_id));
  {
    absl::MutexLock lock(&mu_);
    sweeps_[sweep_id] = stored;
    dispatch_wanted_ = true;
    ++version_;
  }
  v1::SubmitSweepResponse resp;
  *resp.mutable_sweep() = stored;
  resp.set_planned_trials(static_cast<int32_t>(trials.size()));
  return resp;
}

absl::StatusOr<v1::GetSweepResponse> Scheduler::GetSweep(const std::string& sweep_id) {
  v1::GetSweepResponse resp;
  ASSIGN_OR_RETURN(*resp.mutable_sweep(), store_->GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<v1::Trial> trials, store_->ListTrials(sweep_id));
  for (v1::RankingRow& row : RankTrials(std::move(trials))) {
    *resp.add_ranking() = std::move(row);
  }
  ASSIGN_OR_RETURN(std::vector<v1::Decision> decisions, store_->ListDecisions(sweep_id));
  for (auto& d : decisions) *resp.add_decisions() = std::move(d);
  return resp;
}

absl::StatusOr<v1::Trial> Scheduler::EndTrial(const std::string& trial_id, v1::TrialState to,
                                              const std::string& reason, absl::Time arrived) {
  ASSIGN_OR_RETURN(v1::Trial trial, store_->GetTrial(trial_id));
  if (IsTerminal(trial.state())) {
    return absl::FailedPreconditionError(absl::StrCat("trial ", trial_id, " already ended (",
                                                      v1::TrialState_Name(trial.state()), ")"));
  }
  ASSIGN_OR_RETURN(LeaseInfo lease, store_->GetLease(trial_id));
  ASSIGN_OR_RETURN(v1::Trial ended, store_->TransitionTrial(trial_id, trial.state(), to, reason));
  UpdateMemory(ended, 0);
  if (trial.state() == v1::TRIAL_STATE_RUNNING && !lease.worker_id.empty()) {
    SendStopOrders({{trial_id, lease.worker_id, lease.fencing_token, reason, arrived}});
  }
  Bump();
  return ended;
}

void Scheduler::SendStopOrders(const std::vector<StopOrder>& orders) {
  std::vector<std::pair<std::shared_ptr<WorkerSession>, v1::SchedulerMessage>> out;
  out.reserve(orders.size());
  const int64_t issued = clock_->NowUnixMs();
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    for (const StopOrder& o : orders) {
      stop_latency_.count++;
      if (stop_latency_.samples_ms.size() < 100000) {
        stop_latency_.samples_ms.push_back(absl::ToDoubleMilliseconds(now - o.arrived));
      }
      const int64_t order_id = next_order_id_++;
      auto it = sessions_.find(o.worker_id);
      // If the worker is away, the order is implicit: on reconnect its lease is not valid.
      if (it == sessions_.end()) continue;
      v1::SchedulerMessage m;
      v1::TrialOrder* order = m.mutable_order();
      order->set_order_id(order_id);
      order->set_trial_id(o.trial_id);
      order->set_fencing_token(o.fencing_token);
      order->set_action(v1::TrialOrder::ACTION_STOP);
      order->set_reason(o.reason);
      order->set_issued_unix_ms(issued);
      out.push_back({it->second, std::move(m)});
    }
    dispatch_wanted_ = true;  // Their slots are free.
  }
  for (auto& [session, m] : out) session->Send(std::move(m));
}

absl::StatusOr<v1::Trial> Scheduler::StopTrial(const std::string& trial_id,
                                               const std::string& reason) {
  return EndTrial(trial_id, v1::TRIAL_STATE_CANCELLED, reason.empty() ? "stopped by user" : reason,
                  clock_->Now());
}

absl::StatusOr<v1::Trial> Scheduler::PauseTrial(const std::string& trial_id,
                                                const std::string& reason) {
  ASSIGN_OR_RETURN(v1::Trial trial, store_->GetTrial(trial_id));
  if (trial.state() == v1::TRIAL_STATE_RUNNING) {
    // The worker checkpoints, then reports PAUSED through TrialEnded, which ends the lease.
    ASSIGN_OR_RETURN(LeaseInfo lease, store_->GetLease(trial_id));
    std::shared_ptr<WorkerSession> session;
    v1::SchedulerMessage m;
    {
      absl::MutexLock lock(&mu_);
      auto it = sessions_.find(lease.worker_id);
      if (it != sessions_.end()) session = it->second;
      m.mutable_order()->set_order_id(next_order_id_++);
    }
    if (!session) {
      return absl::UnavailableError(
          absl::StrCat("worker ", lease.worker_id, " holding ", trial_id, " is not connected"));
    }
    m.mutable_order()->set_trial_id(trial_id);
    m.mutable_order()->set_fencing_token(lease.fencing_token);
    m.mutable_order()->set_action(v1::TrialOrder::ACTION_PAUSE);
    m.mutable_order()->set_reason(reason.empty() ? "paused by user" : reason);
    m.mutable_order()->set_issued_unix_ms(clock_->NowUnixMs());
    session->Send(std::move(m));
    return trial;
  }
  ASSIGN_OR_RETURN(v1::Trial paused,
                   store_->PauseTrial(trial_id, reason.empty() ? "paused by user" : reason));
  RefreshTrial(trial_id);
  Bump();
  return paused;
}

absl::StatusOr<v1::Trial> Scheduler::ResumeTrial(const std::string& trial_id,
                                                 const std::string& reason) {
  ASSIGN_OR_RETURN(v1::Trial trial,
                   store_->ResumeTrial(trial_id, reason.empty() ? "resumed by user" : reason));
  RefreshTrial(trial_id);
  {
    absl::MutexLock lock(&mu_);
    dispatch_wanted_ = true;
    ++version_;
  }
  return trial;
}

absl::StatusOr<v1::Sweep> Scheduler::CancelSweep(const std::string& sweep_id) {
  ASSIGN_OR_RETURN(std::vector<v1::Trial> trials, store_->ListTrials(sweep_id));
  for (const v1::Trial& t : trials) {
    if (t.state() == v1::TRIAL_STATE_RUNNING) {
      EndTrial(t.trial_id(), v1::TRIAL_STATE_CANCELLED, "sweep cancelled", clock_->Now())
          .IgnoreError();
    }
  }
  ASSIGN_OR_RETURN(v1::Sweep sweep, store_->CancelSweep(sweep_id, "cancelled by user"));
  for (const v1::Trial& t : trials) RefreshTrial(t.trial_id());
  Bump();
  return sweep;
}

absl::StatusOr<std::vector<v1::WorkerInfo>> Scheduler::ListWorkers() {
  ASSIGN_OR_RETURN(std::vector<v1::WorkerInfo> workers, store_->ListWorkers());
  absl::MutexLock lock(&mu_);
  for (v1::WorkerInfo& w : workers) w.set_connected(sessions_.count(w.worker_id()) > 0);
  return workers;
}

}  // namespace augur
