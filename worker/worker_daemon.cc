#include "worker/worker_daemon.h"

#include <algorithm>
#include <numeric>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/kept_trials.h"
#include "common/log.h"
#include "grpcpp/client_context.h"

namespace augur {
namespace {

v1::HeldLease HeldLeaseOf(const std::string& id, int64_t fencing, int64_t last_step) {
  v1::HeldLease h;
  h.set_trial_id(id);
  h.set_fencing_token(fencing);
  h.set_last_step(last_step);
  return h;
}

std::vector<int> OfferedDevices(const WorkerOptions& o) {
  if (o.gpus > 0 && static_cast<int>(o.gpu_devices.size()) == o.gpus) return o.gpu_devices;
  std::vector<int> all(std::max(0, o.gpus > 0 ? o.gpus : o.cpu_slots));
  std::iota(all.begin(), all.end(), 0);
  return all;
}

}  // namespace

WorkerDaemon::WorkerDaemon(WorkerOptions options, std::shared_ptr<grpc::Channel> channel,
                           TrialRunner* runner)
    : options_(std::move(options)),
      stub_(v1::WorkerService::NewStub(channel)),
      runner_(runner),
      buffer_(options_.buffer_points),
      devices_(OfferedDevices(options_)) {}

WorkerDaemon::~WorkerDaemon() {
  Shutdown();
  std::vector<std::unique_ptr<RunningTrial>> dead;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, slot] : slots_) {
      if (slot.trial) dead.push_back(std::move(slot.trial));
    }
    slots_.clear();
    for (auto& t : graveyard_) dead.push_back(std::move(t));
    graveyard_.clear();
  }
  dead.clear();  // Kills any trial still running, outside the lock.
}

void WorkerDaemon::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
}

int WorkerDaemon::sessions_opened() const {
  absl::MutexLock lock(&mu_);
  return sessions_;
}

int WorkerDaemon::running_trials() const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [id, slot] : slots_) n += slot.ended ? 0 : 1;
  return n;
}

bool WorkerDaemon::SleepUnlessShutdown(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  const Clock& clock = *options_.clock;
  return !clock.AwaitWithDeadline(mu_, absl::Condition(&shutdown_), clock.Now() + d);
}

int WorkerDaemon::FreeSlots() const { return devices_.free(); }

void WorkerDaemon::RefuseLease(const v1::Lease& lease, const std::string& why) {
  v1::WorkerMessage m;
  m.mutable_ended()->set_trial_id(lease.trial_id());
  m.mutable_ended()->set_fencing_token(lease.fencing_token());
  m.mutable_ended()->set_state(v1::TRIAL_STATE_PENDING);
  m.mutable_ended()->set_message(why);
  m.mutable_ended()->set_last_step(lease.resume_from().step());
  Enqueue(std::move(m));
}

void WorkerDaemon::Enqueue(v1::WorkerMessage msg) { outbox_.push_back(std::move(msg)); }

void WorkerDaemon::ForgetTrial(const std::string& trial_id) {
  auto it = slots_.find(trial_id);
  if (it == slots_.end()) return;
  if (it->second.trial) {
    if (!it->second.ended) it->second.trial->Stop();
    graveyard_.push_back(std::move(it->second.trial));
  }
  slots_.erase(it);
  buffer_.Drop(trial_id);
}

void WorkerDaemon::Run() {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (shutdown_ && slots_.empty()) return;
    }
    v1::RegisterWorkerRequest req;
    req.set_worker_id(options_.worker_id);
    req.set_hostname(options_.hostname);
    req.set_gpus(options_.gpus);
    req.set_cpu_slots(options_.cpu_slots);
    req.set_device(options_.device);
    req.set_version("0.1.0");
    v1::RegisterWorkerResponse reg;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const grpc::Status st = stub_->RegisterWorker(&ctx, req, &reg);
    if (st.ok()) {
      backoff = options_.initial_backoff;
      {
        absl::MutexLock lock(&mu_);
        lease_timeout_ = absl::Milliseconds(reg.lease_timeout_ms());
      }
      RunSession(reg);
      absl::MutexLock lock(&mu_);
      if (shutdown_) return;  // RunSession already tried to flush the ends.
    } else {
      absl::MutexLock lock(&mu_);
      // Shutting down with nobody to report to: trials are paused locally and left.
      if (shutdown_) return;
      Log(st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                  st.error_code() == grpc::StatusCode::PERMISSION_DENIED
              ? LogLevel::kError
              : LogLevel::kWarning,
          "register_failed",
          {{"worker", options_.worker_id},
           {"code", absl::StrCat(st.error_code())},
           {"retry_in", absl::FormatDuration(backoff)}},
          st.error_message());
    }
    absl::Duration wait = backoff;
    {
      absl::MutexLock lock(&mu_);
      wait = std::min(wait, FenceIfUnrenewed() + absl::Milliseconds(1));
    }
    if (!SleepUnlessShutdown(wait)) continue;
    backoff = std::min(options_.max_backoff, backoff * 2);
  }
}

void WorkerDaemon::RunSession(const v1::RegisterWorkerResponse& reg) {
  grpc::ClientContext ctx;
  auto stream = stub_->Session(&ctx);
  v1::WorkerMessage hello;
  {
    absl::MutexLock lock(&mu_);
    ++sessions_;
    accepted_ = false;
    broken_ = false;
    outbox_.clear();
    hello.mutable_hello()->set_worker_id(options_.worker_id);
    hello.mutable_hello()->set_session_token(reg.session_token());
    for (const auto& [id, slot] : slots_) {
      *hello.mutable_hello()->add_held_leases() =
          HeldLeaseOf(id, slot.fencing_token, slot.last_step);
    }
  }
  std::vector<std::string> kept = runner_->KeptTrials(kMaxKeptTrials);  // Lists the folder.
  {
    absl::MutexLock lock(&mu_);
    for (std::string& id : kept) {
      if (!slots_.contains(id)) hello.mutable_hello()->add_kept_trials(std::move(id));
    }
  }
  buffer_.ResendAll();
  {
    absl::MutexLock lock(&mu_);
    hello_sent_at_ = options_.clock->Now();
  }
  if (!stream->Write(hello)) {
    ctx.TryCancel();
    stream->Finish();
    return;
  }

  std::thread reader([&] {
    v1::SchedulerMessage msg;
    while (stream->Read(&msg)) HandleMessage(msg);
    absl::MutexLock lock(&mu_);
    broken_ = true;
  });

  const absl::Duration heartbeat = absl::Milliseconds(std::max(50, reg.heartbeat_interval_ms()));
  const int max_points =
      std::max(1, reg.max_points_per_batch() > 0 ? reg.max_points_per_batch() : 1000);
  const Clock& clock = *options_.clock;
  absl::Time next_heartbeat = absl::InfinitePast();
  absl::Time shutdown_deadline = absl::InfiniteFuture();
  bool paused_for_shutdown = false;
  int last_requested_slots = -1;
  bool ok = true;
  while (ok) {
    std::deque<v1::WorkerMessage> control;
    std::vector<std::unique_ptr<RunningTrial>> dead;
    int free_slots = 0;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return broken_ || (accepted_ && !outbox_.empty());
      };
      clock.AwaitWithDeadline(mu_, absl::Condition(&wake), clock.Now() + options_.flush_interval);
      if (broken_) break;
      FenceIfUnrenewed();
      if (shutdown_) {
        if (!paused_for_shutdown) {
          paused_for_shutdown = true;
          shutdown_deadline = clock.Now() + options_.shutdown_grace;
          for (auto& [id, slot] : slots_) {
            if (!slot.ended && slot.trial) slot.trial->Pause();
          }
        }
        if ((slots_.empty() && outbox_.empty()) || clock.Now() > shutdown_deadline) break;
      }
      if (!accepted_) continue;
      // Control messages are taken before the points: a TrialEnded in `control` was queued
      // after its trial's last point, so that point is in the buffer now and goes out first.
      control.swap(outbox_);
      dead.swap(graveyard_);
      free_slots = shutdown_ ? 0 : FreeSlots();
    }
    dead.clear();
    for (const auto& batch : buffer_.TakeBatches(max_points)) {
      v1::WorkerMessage m;
      *m.mutable_points() = batch;
      if (!(ok = stream->Write(m))) break;
    }
    for (auto& m : control) {
      if (!ok || !(ok = stream->Write(m))) break;
    }
    // The scheduler does its own slot accounting (total slots minus live leases); a request
    // only tells it, without waiting for a heartbeat, that capacity has changed.
    if (ok && free_slots != last_requested_slots) {
      v1::WorkerMessage m;
      m.mutable_lease_request()->set_slots(free_slots);
      ok = stream->Write(m);
      last_requested_slots = free_slots;
    }
    if (ok && clock.Now() >= next_heartbeat) {
      v1::WorkerMessage m;
      {
        absl::MutexLock lock(&mu_);
        m.mutable_heartbeat()->set_free_slots(FreeSlots());
      }
      m.mutable_heartbeat()->set_sent_unix_ms(clock.NowUnixMs());
      ok = stream->Write(m);
      next_heartbeat = clock.Now() + heartbeat;
    }
  }
  ctx.TryCancel();
  reader.join();
  stream->Finish();
  absl::MutexLock lock(&mu_);
  accepted_ = false;
}

void WorkerDaemon::StartTrial(const v1::Lease& lease) {
  const std::string id = lease.trial_id();
  const int64_t fencing = lease.fencing_token();
  Placement placement;
  std::string holder;
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_) {
      // Leaving: hand the lease straight back so the scheduler requeues the trial.
      RefuseLease(lease, "worker shutting down");
      return;
    }
    auto old = slots_.find(id);
    if (old != slots_.end()) {  // A newer lease supersedes ours.
      if (old->second.trial && !old->second.ended) old->second.trial->Stop();
      if (old->second.trial) graveyard_.push_back(std::move(old->second.trial));
      slots_.erase(old);
    }
    const v1::Resources& wants = lease.config().resources();
    if (wants.gpus() > 0 && options_.gpus == 0 && !wants.allow_cpu()) {
      // Never silently on CPU: the trial goes back to PENDING for a GPU worker. A scheduler of
      // this version never offers such a lease (it places by device kind: this worker
      // registered with no GPU); the guard is for a scheduler of an earlier version, which did.
      RefuseLease(lease, absl::StrCat("worker ", options_.worker_id, " has no GPU and the trial ",
                                      "asks for ", wants.gpus(),
                                      " (resources.allow_cpu: true lets it run on CPU)"));
      return;
    }
    holder = absl::StrCat(id, "#", fencing, "#", ++starts_);
    auto devices = devices_.Acquire(holder, std::max(1, lease.config().resources().gpus()));
    if (!devices.ok()) {
      RefuseLease(lease, absl::StrCat("worker ", options_.worker_id,
                                      " cannot place the trial: ", devices.status().message()));
      return;
    }
    placement.gpu = options_.gpus > 0;
    placement.devices = *std::move(devices);
    Slot& slot = slots_[id];
    slot.fencing_token = fencing;
    slot.last_step = lease.resume_from().step();
    slot.started_at = options_.clock->Now();
  }
  TrialRunner::Callbacks cb;
  cb.on_point = [this, id, fencing](v1::LossPoint p) {
    // The trainer is bit-exact and knows no time; the point's wall time is when it was seen.
    if (p.wall_time_unix_ms() == 0) p.set_wall_time_unix_ms(options_.clock->NowUnixMs());
    {
      absl::MutexLock lock(&mu_);
      auto it = slots_.find(id);
      if (it == slots_.end() || it->second.fencing_token != fencing) return;
      it->second.last_step = p.step();
    }
    // Blocks while the buffer is full: backpressure on the trainer, never a lost point.
    while (!buffer_.Add(id, fencing, p, absl::Seconds(1))) {
      absl::MutexLock lock(&mu_);
      auto it = slots_.find(id);
      if (it == slots_.end() || it->second.fencing_token != fencing) return;
    }
  };
  cb.on_checkpoint = [this, id, fencing](const v1::CheckpointCommit& c) {
    absl::MutexLock lock(&mu_);
    auto it = slots_.find(id);
    if (it == slots_.end() || it->second.fencing_token != fencing) return;
    v1::WorkerMessage m;
    *m.mutable_checkpoint() = c;
    m.mutable_checkpoint()->set_trial_id(id);
    m.mutable_checkpoint()->set_fencing_token(fencing);
    it->second.checkpoint = m.checkpoint();
    Enqueue(std::move(m));
  };
  cb.on_end = [this, id, fencing, holder](v1::TrialState state, const std::string& message,
                                          int64_t last_step) {
    absl::MutexLock lock(&mu_);
    devices_.Release(holder);  // Nothing of the trial runs any more, even if it was dropped.
    auto it = slots_.find(id);
    if (it == slots_.end() || it->second.fencing_token != fencing) return;
    v1::TrialEnded ended;
    ended.set_trial_id(id);
    ended.set_fencing_token(fencing);
    ended.set_state(state);
    ended.set_message(message);
    if (!it->second.refused.empty()) {
      ended.set_state(v1::TRIAL_STATE_FAILED);
      ended.set_message(absl::StrCat("the scheduler refused its points: ", it->second.refused));
    } else if (it->second.fenced && state == v1::TRIAL_STATE_STOPPED) {
      // Stopped by the fence, not by an order: if the lease is still ours, the trial goes on
      // from its checkpoint, here or elsewhere.
      ended.set_state(v1::TRIAL_STATE_PENDING);
      ended.set_message("its worker lost contact with the scheduler; resumed from its checkpoint");
    }
    ended.set_last_step(std::max(last_step, it->second.last_step));
    it->second.ended = ended;
    v1::WorkerMessage m;
    *m.mutable_ended() = ended;
    Enqueue(std::move(m));
  };
  auto started = runner_->Start(lease, placement, std::move(cb));
  absl::MutexLock lock(&mu_);
  if (!started.ok()) devices_.Release(holder);  // No on_end comes for a trial never started.
  auto it = slots_.find(id);
  if (it == slots_.end() || it->second.fencing_token != fencing) {
    if (started.ok()) graveyard_.push_back(std::move(*started));
    return;
  }
  if (started.ok()) {
    it->second.trial = std::move(*started);
    return;
  }
  v1::TrialEnded ended;
  ended.set_trial_id(id);
  ended.set_fencing_token(fencing);
  ended.set_state(v1::TRIAL_STATE_FAILED);
  ended.set_message(absl::StrCat("worker ", options_.worker_id,
                                 " could not start the trial: ", started.status().ToString()));
  it->second.ended = ended;
  v1::WorkerMessage m;
  *m.mutable_ended() = ended;
  Enqueue(std::move(m));
}

}  // namespace augur
