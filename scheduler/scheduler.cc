#include "scheduler/scheduler.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/kept_trials.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "scheduler/activity.h"
#include "scheduler/commit_priority.h"
#include "scheduler/decider.h"
#include "scheduler/dispatcher.h"
#include "scheduler/point_writer.h"
#include "scheduler/session_registry.h"
#include "scheduler/store_health.h"
#include "scheduler/sweep_control.h"
#include "scheduler/trial_curves.h"
#include "scheduler/waiting_reason.h"

namespace augur {
namespace {

// The longest the point writer holds a commit back for decision rounds.
constexpr absl::Duration kMaxYield = absl::Milliseconds(30);

PointWriterOptions WriterOptions(const SchedulerOptions& o, StoreHealth* health) {
  PointWriterOptions w;
  w.max_batches_per_commit = o.max_batches_per_commit;
  w.max_points_per_commit = o.max_points_per_commit;
  w.on_commit = [health](const absl::Status& s) { health->Commit(s); };
  return w;
}

Random* RandomOf(const SchedulerOptions& o) { return o.random ? o.random : &SystemRandom(); }

DispatcherOptions DispatchOptions(const SchedulerOptions& o) {
  DispatcherOptions d;
  d.lease_ttl = o.lease_ttl;
  d.maintenance_interval = o.maintenance_interval;
  return d;
}

// TrialsEnded naming those of `kept` that ended for good, or whose sweep is gone.
v1::SchedulerMessage EndedAmong(Store& store,
                                const google::protobuf::RepeatedPtrField<std::string>& kept) {
  v1::SchedulerMessage out;
  const int n = std::min(kept.size(), kMaxKeptTrials);
  for (int i = 0; i < n; ++i) {
    auto trial = store.GetTrial(kept[i]);
    const bool ended = trial.ok() ? IsTerminal(trial->state()) : absl::IsNotFound(trial.status());
    if (ended) out.mutable_trials_ended()->add_trial_ids(kept[i]);
  }
  return out;
}

}  // namespace

// The parts, wired so that each hands values on one way (scheduler.h, docs/scheduler.md).
struct Scheduler::Parts {
  Parts(Store* store, Clock* clock, SchedulerOptions o, SweepPlanner planner)
      : store(store),
        clock(clock),
        options(o),
        activity(clock),
        priority(clock, kMaxYield),
        health(clock),
        sessions(RandomOf(o), {o.max_sessions, o.max_queued_per_session}),
        curves(store, clock, [this](CurveEvent e) { decider.Queue(std::move(e)); }),
        decider(store, clock, &curves, &sessions, &priority, &activity, o.observer,
                [this](std::vector<v1::Trial> changed) { Decided(std::move(changed)); }),
        writer(store, clock, &priority, &activity, WriterOptions(o, &health),
               [this](CommittedWrites w) { Committed(std::move(w)); }),
        dispatcher(store, clock, &sessions, &curves, &activity, DispatchOptions(o)),
        control({store, clock, RandomOf(o), &curves, &sessions, &dispatcher, &activity, o.observer,
                 o.limits},
                std::move(planner)) {}

  // After the writer's commit: changed rows to the curves, freed slots to dispatch, trials that
  // ended for good to every worker (one that ran them before a milestone wait may keep
  // checkpoints).
  void Committed(CommittedWrites w) {
    if (options.observer && w.inserted > 0) options.observer->PointsCommitted(w.inserted);
    AnnounceEnded(w.ended);
    curves.TakeCommitted(w);
    if (w.slots_freed) dispatcher.Wake();
    activity.Changed();
  }
  // After the decider's commit: the stopped and released trials' rows to the curves, their
  // slots (or, released, their pending work) to dispatch.
  void Decided(std::vector<v1::Trial> changed) {
    AnnounceEnded(changed);
    curves.Update(changed);
    if (!changed.empty()) dispatcher.Wake();
    activity.Changed();
  }
  void AnnounceEnded(const std::vector<v1::Trial>& trials) {
    std::vector<std::string> ended;
    for (const v1::Trial& t : trials) {
      if (IsTerminal(t.state())) ended.push_back(t.trial_id());
    }
    sessions.AnnounceEnded(ended);
  }
  // Marks the worker's row connected (or not), with `free_slots` if >= 0.
  void UpdateWorkerRow(const std::string& worker_id, bool connected, int free_slots) {
    auto workers = store->ListWorkers();
    if (!workers.ok()) return;
    for (v1::WorkerInfo& w : *workers) {
      if (w.worker_id() != worker_id) continue;
      w.set_connected(connected);
      if (free_slots >= 0) w.set_free_slots(free_slots);
      if (connected) w.set_last_heartbeat_unix_ms(clock->NowUnixMs());
      store->UpsertWorker(w).IgnoreError();
    }
  }

  Store* const store;
  Clock* const clock;
  const SchedulerOptions options;
  Activity activity;
  CommitPriority priority;
  StoreHealth health;
  SessionRegistry sessions;
  TrialCurves curves;
  Decider decider;
  PointWriter writer;
  Dispatcher dispatcher;
  SweepControl control;
};

Scheduler::Scheduler(Store* store, Clock* clock, SchedulerOptions options, SweepPlanner planner)
    : parts_(std::make_unique<Parts>(store, clock, options, std::move(planner))) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  parts_->control.ExecuteStoredStops();
  parts_->writer.Start();
  parts_->decider.Start();
  parts_->dispatcher.Start();
}

void Scheduler::Stop() {
  parts_->sessions.CloseAll();
  parts_->activity.Close();
  parts_->writer.Stop();  // Commits what is queued.
  parts_->dispatcher.Stop();
  parts_->decider.Stop();
}

void Scheduler::WaitUntilIdle() {
  while (true) {
    const int64_t handed = parts_->activity.handed();
    parts_->writer.WaitIdle();
    parts_->decider.WaitIdle();
    parts_->dispatcher.WaitIdle();
    if (parts_->activity.handed() == handed) return;
  }
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
  info.set_last_heartbeat_unix_ms(parts_->clock->NowUnixMs());
  info.set_device(req.device());
  info.set_gpus(req.gpus());
  RETURN_IF_ERROR(parts_->store->UpsertWorker(info));
  const SchedulerOptions& o = parts_->options;
  v1::RegisterWorkerResponse resp;
  resp.set_session_token(parts_->sessions.IssueToken(req.worker_id()));
  resp.set_heartbeat_interval_ms(
      static_cast<int32_t>(absl::ToInt64Milliseconds(o.heartbeat_interval)));
  resp.set_lease_timeout_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(o.lease_ttl)));
  resp.set_max_points_per_batch(o.max_points_per_batch);
  return resp;
}

absl::StatusOr<std::shared_ptr<WorkerSession>> Scheduler::OpenSession(
    const v1::SessionHello& hello) {
  Store* store = parts_->store;
  RETURN_IF_ERROR(parts_->sessions.CheckToken(hello.worker_id(), hello.session_token()));
  int slots = 1;
  ASSIGN_OR_RETURN(auto workers, store->ListWorkers());
  for (v1::WorkerInfo& w : workers) {
    if (w.worker_id() != hello.worker_id()) continue;
    slots = std::max(1, w.total_slots());
    w.set_connected(true);
    w.set_last_heartbeat_unix_ms(parts_->clock->NowUnixMs());
    RETURN_IF_ERROR(store->UpsertWorker(w));
  }
  // A held lease stays valid only if the store still has it for this worker under the same
  // token; the others were expired and fenced off while the worker was away. A lease the store
  // has for this worker that the worker does not say it holds belonged to a process of the
  // same id that is gone (restarted, or killed with `augur run`): its trainer died with it, so
  // the trial goes back to PENDING now, to resume from its checkpoint, instead of being renewed
  // for ever under a holder that will never report on it.
  ASSIGN_OR_RETURN(std::vector<LeaseInfo> renewed,
                   store->RenewLeases(hello.worker_id(), parts_->options.lease_ttl));
  std::set<std::pair<std::string, int64_t>> held;
  for (const v1::HeldLease& h : hello.held_leases()) held.insert({h.trial_id(), h.fencing_token()});
  std::vector<v1::Trial> released;
  v1::SchedulerMessage accepted;
  accepted.mutable_accepted()->set_server_unix_ms(parts_->clock->NowUnixMs());
  for (const LeaseInfo& l : renewed) {
    if (held.count({l.trial_id, l.fencing_token})) {
      // Valid only if just renewed: a lease that expired while the worker (or the scheduler)
      // was away is requeued by the next expiry and may be granted elsewhere at once.
      v1::HeldLease* valid = accepted.mutable_accepted()->add_valid_leases();
      valid->set_trial_id(l.trial_id);
      valid->set_fencing_token(l.fencing_token);
      continue;
    }
    auto trial = store->EndLease(l.trial_id, l.fencing_token, v1::TRIAL_STATE_PENDING,
                                 "its worker restarted without it; resumed from its checkpoint");
    if (trial.ok()) released.push_back(*std::move(trial));
  }
  parts_->curves.Update(released);
  // SessionAccepted goes first, before dispatch can see the session and queue a lease.
  ASSIGN_OR_RETURN(auto session,
                   parts_->sessions.Open(hello.worker_id(), slots, std::move(accepted)));
  // Trials that ended while this worker was away (TrialsEnded went to the workers connected
  // then): their kept checkpoints can go.
  if (v1::SchedulerMessage ended = EndedAmong(*store, hello.kept_trials());
      ended.trials_ended().trial_ids_size() > 0) {
    session->Send(std::move(ended));
  }
  parts_->dispatcher.Wake();
  parts_->activity.Changed();
  return session;
}

void Scheduler::CloseSession(const std::shared_ptr<WorkerSession>& session) {
  if (!parts_->sessions.Close(session)) return;
  parts_->activity.Changed();
  // Leases are not revoked here: a worker that reconnects within the lease TTL keeps them.
  parts_->UpdateWorkerRow(session->worker_id(), /*connected=*/false, -1);
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
  const int max_points = parts_->options.max_points_per_batch;
  switch (msg.kind_case()) {
    case v1::WorkerMessage::kHeartbeat:
      if (auto leases = parts_->store->RenewLeases(session->worker_id(), parts_->options.lease_ttl);
          leases.ok()) {
        // The worker times its own leases from this echo, and stops the trials not listed
        // (worker_daemon.h, self-fencing).
        v1::SchedulerMessage renewed;
        renewed.mutable_renewed()->set_sent_unix_ms(msg.heartbeat().sent_unix_ms());
        for (const LeaseInfo& l : *leases) {
          v1::HeldLease* h = renewed.mutable_renewed()->add_leases();
          h->set_trial_id(l.trial_id);
          h->set_fencing_token(l.fencing_token);
        }
        session->Send(std::move(renewed));
      }
      parts_->UpdateWorkerRow(session->worker_id(), /*connected=*/true,
                              msg.heartbeat().free_slots());
      return;
    case v1::WorkerMessage::kLeaseRequest:
      // The worker's own count caps what dispatch grants (a worker shutting down asks for 0);
      // the scheduler's count of live leases caps it too.
      session->SetWanted(msg.lease_request().slots());
      parts_->dispatcher.Wake();
      return;
    case v1::WorkerMessage::kPoints:
      if (msg.points().points_size() > max_points) {
        reject(absl::StatusCode::kInvalidArgument,
               absl::StrCat("batch of ", msg.points().points_size(),
                            " points exceeds the limit of ", max_points),
               msg.points().trial_id());
        return;
      }
      // A poison point is refused here, alone: it reaches neither the curves nor the writer's
      // group commit of other sessions' writes.
      for (const v1::LossPoint& p : msg.points().points()) {
        if (absl::Status bad = CheckPoint(p); !bad.ok()) {
          Log(LogLevel::kWarning, "points_rejected",
              {{"worker", session->worker_id()}, {"trial", msg.points().trial_id()}},
              bad.message());
          reject(bad.code(), std::string(bad.message()), msg.points().trial_id());
          return;
        }
      }
      // To the decision path now; durable (and acknowledged) after the writer's commit.
      parts_->curves.TakeArrived(msg.points(), parts_->clock->Now());
      [[fallthrough]];
    case v1::WorkerMessage::kCheckpoint:
    case v1::WorkerMessage::kEnded:
      parts_->writer.Enqueue(session, msg);
      return;
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

// ---- SweepService ----

absl::StatusOr<v1::SubmitSweepResponse> Scheduler::Submit(const v1::SubmitSweepRequest& req,
                                                          const std::string& owner) {
  ASSIGN_OR_RETURN(v1::SubmitSweepResponse response, parts_->control.Submit(req, owner));
  SetWaitingReason(*response.mutable_sweep());
  return response;
}
void Scheduler::SetWaitingReason(v1::Sweep& sweep) {
  auto workers = parts_->store->ListWorkers();
  if (workers.ok()) sweep.set_waiting_reason(WaitingReason(sweep, *workers));  // A nicety.
}
absl::StatusOr<std::string> Scheduler::SweepOwner(const std::string& sweep_id) {
  ASSIGN_OR_RETURN(v1::Sweep sweep, parts_->store->GetSweep(sweep_id));
  return sweep.owner();
}
absl::StatusOr<v1::GetSweepResponse> Scheduler::GetSweep(const std::string& sweep_id,
                                                         const SweepSlice& slice) {
  ASSIGN_OR_RETURN(v1::GetSweepResponse response, parts_->control.GetSweep(sweep_id, slice));
  response.mutable_sweep()->set_store_warning(parts_->health.warning());
  SetWaitingReason(*response.mutable_sweep());
  return response;
}
absl::StatusOr<v1::Trial> Scheduler::StopTrial(const std::string& trial_id,
                                               const std::string& reason) {
  return parts_->control.StopTrial(trial_id, reason);
}
absl::StatusOr<v1::Trial> Scheduler::PauseTrial(const std::string& trial_id,
                                                const std::string& reason) {
  return parts_->control.PauseTrial(trial_id, reason);
}
absl::StatusOr<v1::Trial> Scheduler::ResumeTrial(const std::string& trial_id,
                                                 const std::string& reason) {
  return parts_->control.ResumeTrial(trial_id, reason);
}
absl::StatusOr<v1::Sweep> Scheduler::CancelSweep(const std::string& sweep_id,
                                                 const std::string& who,
                                                 const std::string& reason) {
  return parts_->control.CancelSweep(sweep_id, who, reason);
}
absl::StatusOr<int> Scheduler::DeleteSweep(const std::string& sweep_id, bool force,
                                           const std::string& who) {
  return parts_->control.DeleteSweep(sweep_id, force, who);
}
absl::StatusOr<v1::Sweep> Scheduler::AnnotateSweep(const v1::AnnotateSweepRequest& req,
                                                   const std::string& who) {
  return parts_->control.AnnotateSweep(req, who);
}

absl::StatusOr<std::vector<v1::WorkerInfo>> Scheduler::ListWorkers() {
  ASSIGN_OR_RETURN(std::vector<v1::WorkerInfo> workers, parts_->store->ListWorkers());
  std::vector<v1::WorkerInfo> listed;
  const int64_t forget_before =
      parts_->clock->NowUnixMs() - absl::ToInt64Milliseconds(parts_->options.forget_workers_after);
  for (v1::WorkerInfo& w : workers) {
    w.set_connected(parts_->sessions.IsConnected(w.worker_id()));
    // Workers that vanished (or registered and never came back) drop out of the listing.
    if (!w.connected() && w.trial_ids().empty() && w.last_heartbeat_unix_ms() < forget_before) {
      continue;
    }
    listed.push_back(std::move(w));
  }
  return listed;
}

absl::StatusOr<SweepPage> Scheduler::ListSweeps(int page_size, const std::string& page_token) {
  ASSIGN_OR_RETURN(SweepPage page, parts_->store->ListSweeps(page_size, page_token));
  const std::string warning = parts_->health.warning();
  for (v1::Sweep& s : page.sweeps) s.set_store_warning(warning);
  return page;
}
absl::StatusOr<std::vector<v1::Trial>> Scheduler::ListTrials(const std::string& sweep_id) {
  return parts_->store->ListTrials(sweep_id);
}
absl::StatusOr<TrialPage> Scheduler::ListTrialsPage(const std::string& sweep_id, int page_size,
                                                    const std::string& page_token) {
  return parts_->store->ListTrialsPage(sweep_id, page_size, page_token);
}
absl::StatusOr<std::vector<v1::LossPoint>> Scheduler::ReadPoints(const std::string& trial_id) {
  return parts_->store->ReadPoints(trial_id, 0);
}
absl::StatusOr<v1::Trial> Scheduler::GetTrial(const std::string& trial_id) {
  return parts_->store->GetTrial(trial_id);
}
absl::StatusOr<std::vector<v1::Decision>> Scheduler::ListTrialDecisions(
    const std::string& trial_id) {
  return parts_->store->ListTrialDecisions(trial_id);
}

int64_t Scheduler::WaitForChange(int64_t seen, absl::Duration timeout) {
  return parts_->activity.WaitForChange(seen, timeout);
}

size_t Scheduler::loaded_sweeps() const { return parts_->curves.loaded_sweeps(); }

}  // namespace augur
