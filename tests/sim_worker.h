// A simulated worker for the multi-process fault tests: it speaks the WorkerService protocol
// directly to a real augur-scheduler (no trainer): takes leases, streams synthetic points and
// records what the scheduler answers.
#ifndef AUGUR_TESTS_SIM_WORKER_H_
#define AUGUR_TESTS_SIM_WORKER_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/worker.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/harness.h"

namespace augur::testing {

// The synthetic loss at `step`.
inline double LossAt(int64_t step) { return 6.0 / (1.0 + 0.01 * static_cast<double>(step)); }

// A worker without a trainer: takes leases and streams synthetic points.
class SimWorker {
 public:
  SimWorker(const std::string& address, std::string id, int slots)
      : stub_(WorkerStub(address)), id_(std::move(id)), slots_(slots) {}
  ~SimWorker() { Close(); }

  // Registers and opens a session announcing `held`; returns the session's final status if it
  // fails before SessionAccepted.
  grpc::Status Connect(const std::vector<v1::HeldLease>& held = {},
                       const std::string& forged_token = "") {
    grpc::ClientContext rctx;
    v1::RegisterWorkerRequest req;
    req.set_worker_id(id_);
    req.set_cpu_slots(slots_);
    v1::RegisterWorkerResponse reg;
    grpc::Status st = stub_->RegisterWorker(&rctx, req, &reg);
    if (!st.ok()) return st;
    ctx_ = std::make_unique<grpc::ClientContext>();
    stream_ = stub_->Session(ctx_.get());
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id(id_);
    hello.mutable_hello()->set_session_token(forged_token.empty() ? reg.session_token()
                                                                  : forged_token);
    for (const auto& h : held) *hello.mutable_hello()->add_held_leases() = h;
    stream_->Write(hello);
    v1::SchedulerMessage first;
    if (!stream_->Read(&first)) {
      const grpc::Status st = stream_->Finish();
      stream_.reset();
      return st;
    }
    EXPECT_TRUE(first.has_accepted());
    accepted_ = first.accepted();
    reader_ = std::thread([this] {
      v1::SchedulerMessage m;
      while (stream_->Read(&m)) {
        absl::MutexLock lock(&mu_);
        if (m.has_points_ack()) {
          int64_t& d = durable_[m.points_ack().trial_id()];
          d = std::max(d, m.points_ack().durable_step());
        }
        inbox_.push_back(m);
      }
      absl::MutexLock lock(&mu_);
      broken_ = true;
    });
    return grpc::Status::OK;
  }

  // Ends the session; returns how the stream ended.
  grpc::Status Close() {
    if (!stream_) return grpc::Status::OK;
    ctx_->TryCancel();
    if (reader_.joinable()) reader_.join();
    grpc::Status st = stream_->Finish();
    stream_.reset();
    return st;
  }

  bool Write(const v1::WorkerMessage& m) {
    absl::MutexLock lock(&write_mu_);
    return stream_->Write(m);
  }

  bool SendPoints(const std::string& trial, int64_t fencing, int64_t from, int64_t to,
                  int64_t total, double nan_at = -1) {
    v1::WorkerMessage m;
    auto* b = m.mutable_points();
    b->set_trial_id(trial);
    b->set_fencing_token(fencing);
    b->set_sequence(++sequence_);
    for (int64_t s = from; s <= to; ++s) {
      auto* p = b->add_points();
      p->set_step(s);
      p->set_fraction(static_cast<double>(s) / static_cast<double>(total));
      p->set_train_loss(s == nan_at ? std::numeric_limits<double>::quiet_NaN() : LossAt(s));
    }
    return Write(m);
  }

  bool SendCheckpoint(const std::string& trial, int64_t fencing, int64_t step,
                      const std::string& path) {
    v1::WorkerMessage m;
    m.mutable_checkpoint()->set_trial_id(trial);
    m.mutable_checkpoint()->set_fencing_token(fencing);
    m.mutable_checkpoint()->set_step(step);
    m.mutable_checkpoint()->set_path(path);
    return Write(m);
  }

  bool SendEnded(const std::string& trial, int64_t fencing, v1::TrialState state) {
    v1::WorkerMessage m;
    m.mutable_ended()->set_trial_id(trial);
    m.mutable_ended()->set_fencing_token(fencing);
    m.mutable_ended()->set_state(state);
    return Write(m);
  }

  bool broken() {
    absl::MutexLock lock(&mu_);
    return broken_;
  }

  // The next message matching `pred` (kept messages are searched first), within `timeout`.
  template <typename Pred>
  std::optional<v1::SchedulerMessage> Await(Pred pred, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    // Conditions may be evaluated by other threads and more than once: no side effects.
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return broken_ || std::any_of(inbox_.begin(), inbox_.end(), pred);
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    auto it = std::find_if(inbox_.begin(), inbox_.end(), pred);
    if (it == inbox_.end()) return std::nullopt;
    v1::SchedulerMessage found = *it;
    inbox_.erase(it);
    return found;
  }

  std::optional<v1::Lease> NextLease() {
    auto m = Await([](const v1::SchedulerMessage& m) { return m.has_lease(); }, absl::Seconds(20));
    if (!m) return std::nullopt;
    return m->lease();
  }

  std::optional<v1::Rejection> NextRejection() {
    auto m =
        Await([](const v1::SchedulerMessage& m) { return m.has_rejection(); }, absl::Seconds(20));
    if (!m) return std::nullopt;
    return m->rejection();
  }

  int64_t Durable(const std::string& trial) {
    absl::MutexLock lock(&mu_);
    return durable_[trial];
  }
  std::map<std::string, int64_t> AllDurable() {
    absl::MutexLock lock(&mu_);
    return durable_;
  }
  const v1::SessionAccepted& accepted() const { return accepted_; }

 private:
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  const std::string id_;
  const int slots_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::WorkerMessage, v1::SchedulerMessage>> stream_;
  std::thread reader_;
  v1::SessionAccepted accepted_;
  int64_t sequence_ = 0;
  absl::Mutex write_mu_;
  absl::Mutex mu_;
  std::vector<v1::SchedulerMessage> inbox_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> durable_ ABSL_GUARDED_BY(mu_);
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

// tiny_sweep.yaml without early stopping, with `trials` learning rates.
inline v1::SweepSpec NoPolicySpec(int trials) {
  auto spec = LoadTestSpec("tiny_sweep.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  spec->mutable_policy()->set_kind(v1::POLICY_KIND_NONE);
  auto* lr = spec->mutable_search()->mutable_dimensions(0);
  lr->clear_values();
  for (int i = 0; i < trials; ++i) lr->add_values(0.001 * (i + 1));
  return *spec;
}

inline std::string SubmitOk(v1::SweepService::Stub& stub, const v1::SweepSpec& spec) {
  auto r = SubmitSpec(stub, spec);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->sweep().sweep_id() : "";
}

inline CurveMap Export(v1::SweepService::Stub& stub, const std::string& sweep_id) {
  auto r = ExportAll(stub, sweep_id);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CurveMap();
}

}  // namespace augur::testing

#endif  // AUGUR_TESTS_SIM_WORKER_H_
