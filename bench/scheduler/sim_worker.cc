#include "bench/scheduler/sim_worker.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"

namespace augur::bench {
namespace {

// The scheduler counts a milestone m as reached once a point is within this of m
// (scheduler/trial_curves.h, kMilestoneTolerance).
constexpr double kMilestoneTolerance = 0.005;

}  // namespace

double SyntheticLoss(double quality, double fraction, int64_t step) {
  return (2.0 + quality) * (1.0 - 0.5 * fraction) + 0.002 * std::sin(0.37 * step);
}

SimWorker::SimWorker(std::shared_ptr<grpc::Channel> channel, SimWorkerOptions options)
    : stub_(v1::WorkerService::NewStub(channel)), options_(std::move(options)) {}

SimWorker::~SimWorker() = default;

void SimWorker::RequestStop() { stop_ = true; }

SimWorker::Progress SimWorker::progress() const {
  absl::MutexLock lock(&mu_);
  Progress p;
  p.active_trials = static_cast<int>(trials_.size());
  p.leases = stats_.leases;
  p.points_acked = stats_.points_acked;
  p.failed = !stats_.error.empty();
  return p;
}

SimWorkerStats SimWorker::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::map<std::string, TrialTimeline> SimWorker::timelines() const {
  absl::MutexLock lock(&mu_);
  return timelines_;
}

void SimWorker::Run() {
  v1::RegisterWorkerRequest reg;
  reg.set_worker_id(options_.worker_id);
  reg.set_hostname("bench");
  reg.set_cpu_slots(options_.slots);
  reg.set_device("simulated");
  v1::RegisterWorkerResponse reg_resp;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status st = stub_->RegisterWorker(&ctx, reg, &reg_resp);
    if (!st.ok()) {
      absl::MutexLock lock(&mu_);
      stats_.error = absl::StrCat("RegisterWorker: ", st.error_message());
      return;
    }
  }
  grpc::ClientContext ctx;
  auto stream = stub_->Session(&ctx);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id(options_.worker_id);
  hello.mutable_hello()->set_session_token(reg_resp.session_token());
  if (!stream->Write(hello)) {
    absl::MutexLock lock(&mu_);
    stats_.error = "session closed before the hello";
    return;
  }
  std::thread reader([&] {
    v1::SchedulerMessage in;
    while (stream->Read(&in)) {
      absl::MutexLock lock(&mu_);
      HandleMessage(in);
    }
    absl::MutexLock lock(&mu_);
    stream_done_ = true;
  });

  absl::Time next_heartbeat = absl::Now() + options_.heartbeat_interval;
  const absl::Time start = absl::Now();
  double points_written = 0;
  bool write_failed = false;
  while (!stop_ && !write_failed) {
    std::vector<Outgoing> out;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stream_done_ || HasWork(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(20));
      if (stream_done_) break;
      out = NextMessages();
    }
    for (size_t i = 0; i < out.size() && !stop_; ++i) {
      if (options_.points_per_second > 0 && out[i].msg.has_points()) {
        points_written += out[i].msg.points().points_size();
        const absl::Time due = start + absl::Seconds(points_written / options_.points_per_second);
        const absl::Time now = absl::Now();
        if (due > now) absl::SleepFor(due - now);
      }
      {
        absl::MutexLock lock(&mu_);
        Stamp(out[i], absl::Now());
      }
      if (!stream->Write(out[i].msg)) {
        write_failed = true;
        break;
      }
    }
    if (absl::Now() >= next_heartbeat) {
      v1::WorkerMessage hb;
      {
        absl::MutexLock lock(&mu_);
        hb.mutable_heartbeat()->set_free_slots(
            std::max(0, options_.slots - static_cast<int>(trials_.size())));
      }
      hb.mutable_heartbeat()->set_sent_unix_ms(absl::ToUnixMillis(absl::Now()));
      if (!stream->Write(hb)) write_failed = true;
      next_heartbeat = absl::Now() + options_.heartbeat_interval;
    }
  }
  stream->WritesDone();
  ctx.TryCancel();
  reader.join();
  grpc::Status st = stream->Finish();
  absl::MutexLock lock(&mu_);
  if (!stop_ && stats_.error.empty()) {
    stats_.error = absl::StrCat("session ended early: ", st.error_message());
  }
}

bool SimWorker::HasWork() const {
  for (const auto& [id, t] : trials_) {
    if (t.end_sent) continue;
    if (t.stop_ordered) return true;
    if (t.next_step > t.total_steps && t.inflight == 0) return true;
    if (t.next_step <= t.total_steps && t.inflight < options_.window_batches) return true;
  }
  return false;
}

void SimWorker::Stamp(const Outgoing& m, absl::Time sent) {
  if (!m.msg.has_points()) return;
  const std::string& id = m.msg.points().trial_id();
  auto t = trials_.find(id);
  if (t != trials_.end()) {
    auto b = t->second.unacked.find(m.msg.points().sequence());
    if (b != t->second.unacked.end()) b->second.second = sent;
  }
  auto timeline = timelines_.find(id);
  if (timeline == timelines_.end()) return;
  for (size_t k : m.crossed) timeline->second.crossed[k] = sent;
}

std::vector<SimWorker::Outgoing> SimWorker::NextMessages() {
  std::vector<Outgoing> out;
  const absl::Time now = absl::Now();
  for (auto& [id, t] : trials_) {
    if (t.end_sent) continue;
    const bool finished = t.next_step > t.total_steps;
    if (t.stop_ordered || (finished && t.inflight == 0)) {
      v1::WorkerMessage m;
      m.mutable_ended()->set_trial_id(id);
      m.mutable_ended()->set_fencing_token(t.fencing);
      m.mutable_ended()->set_state(t.stop_ordered ? v1::TRIAL_STATE_STOPPED
                                                  : v1::TRIAL_STATE_COMPLETED);
      m.mutable_ended()->set_last_step(std::min(t.next_step - 1, t.total_steps));
      if (!t.stop_ordered) ++stats_.completed;
      t.end_sent = true;
      out.push_back({std::move(m), {}});
      continue;
    }
    if (finished || t.inflight >= options_.window_batches) continue;
    v1::WorkerMessage m;
    v1::LossPointBatch* b = m.mutable_points();
    b->set_trial_id(id);
    b->set_fencing_token(t.fencing);
    const int64_t seq = next_sequence_++;
    b->set_sequence(seq);
    double last_fraction = 0;
    while (b->points_size() < options_.batch_points && t.next_step <= t.total_steps) {
      const int64_t step = t.next_step;
      last_fraction = static_cast<double>(step) / static_cast<double>(t.total_steps);
      v1::LossPoint* p = b->add_points();
      p->set_step(step);
      p->set_tokens(step * 4096);
      p->set_fraction(last_fraction);
      p->set_train_loss(SyntheticLoss(t.quality, last_fraction, step));
      p->set_lr(1e-3 * (1.0 - last_fraction));
      p->set_wall_time_unix_ms(absl::ToUnixMillis(now));
      t.next_step = step == t.total_steps ? step + 1 : std::min(step + t.stride, t.total_steps);
    }
    std::vector<size_t> crossed;
    while (t.next_milestone < options_.milestones.size() &&
           last_fraction >= options_.milestones[t.next_milestone] - kMilestoneTolerance) {
      crossed.push_back(t.next_milestone++);
    }
    t.unacked[seq] = {b->points_size(), now};  // Restamped when written (Stamp).
    ++t.inflight;
    stats_.points_sent += b->points_size();
    out.push_back({std::move(m), std::move(crossed)});
  }
  return out;
}

void SimWorker::HandleMessage(const v1::SchedulerMessage& m) {
  switch (m.kind_case()) {
    case v1::SchedulerMessage::kLease: {
      const v1::Lease& l = m.lease();
      Trial t;
      t.id = l.trial_id();
      t.fencing = l.fencing_token();
      t.total_steps = std::max<int64_t>(1, l.config().total_steps());
      t.stride =
          std::max<int64_t>(1, t.total_steps / std::max<int64_t>(1, options_.points_per_trial));
      t.next_step = t.stride;
      t.quality = static_cast<double>(std::hash<std::string>()(t.id) % 1000003) / 1000003.0;
      timelines_[t.id].crossed.assign(options_.milestones.size(), absl::InfinitePast());
      trials_[t.id] = std::move(t);
      ++stats_.leases;
      stats_.total_steps = l.config().total_steps();
      return;
    }
    case v1::SchedulerMessage::kPointsAck: {
      auto it = trials_.find(m.points_ack().trial_id());
      if (it == trials_.end()) return;
      auto b = it->second.unacked.find(m.points_ack().sequence());
      if (b == it->second.unacked.end()) return;
      stats_.points_acked += b->second.first;
      ++stats_.batches_acked;
      if (stats_.ack_latency_ms.size() < 200000) {
        stats_.ack_latency_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - b->second.second));
      }
      it->second.unacked.erase(b);
      --it->second.inflight;
      return;
    }
    case v1::SchedulerMessage::kOrder: {
      if (m.order().action() != v1::TrialOrder::ACTION_STOP) return;
      auto it = trials_.find(m.order().trial_id());
      if (it == trials_.end() || it->second.stop_ordered) return;
      it->second.stop_ordered = true;
      ++stats_.stop_orders;
      timelines_[it->first].stopped = absl::Now();
      return;
    }
    case v1::SchedulerMessage::kEndedAck:
      trials_.erase(m.ended_ack().trial_id());
      return;
    case v1::SchedulerMessage::kRejection: {
      // Batches still in flight when a trial is stopped are refused (its lease is gone); that
      // is expected. Anything else is counted and reported.
      auto it = trials_.find(m.rejection().trial_id());
      if (it != trials_.end() && it->second.stop_ordered) return;
      ++stats_.rejections;
      if (stats_.first_rejection.empty()) {
        stats_.first_rejection = absl::StrCat(m.rejection().code(), " ", m.rejection().message());
      }
      if (it != trials_.end()) trials_.erase(it);  // Its window would never drain.
      return;
    }
    default:
      return;
  }
}

}  // namespace augur::bench
