#include "scheduler/services.h"

#include <atomic>
#include <exception>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"

namespace augur {
namespace {

// Runs a handler body; an exception becomes INTERNAL instead of escaping into gRPC.
template <typename F>
grpc::Status Guarded(grpc::ServerContext* ctx, const Authorizer* auth, Role role, F&& body) {
  grpc::Status allowed = auth->Check(*ctx, role);
  if (!allowed.ok()) return allowed;
  try {
    return body();
  } catch (const std::exception& e) {
    return grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("internal error: ", e.what()));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

// Trial actions share their shape.
template <typename Action>
grpc::Status TrialAction(const v1::TrialActionRequest& req, v1::TrialActionResponse* resp,
                         Action&& action) {
  if (req.trial_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "trial_id is empty");
  }
  auto trial = action(req.trial_id(), req.reason());
  if (!trial.ok()) return ToGrpcStatus(trial.status());
  *resp->mutable_trial() = std::move(*trial);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// ---- WorkerService ----

grpc::Status WorkerServiceImpl::RegisterWorker(grpc::ServerContext* ctx,
                                               const v1::RegisterWorkerRequest* req,
                                               v1::RegisterWorkerResponse* resp) {
  return Guarded(ctx, auth_, Role::kWorker, [&] {
    auto r = scheduler_->RegisterWorker(*req);
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp = std::move(*r);
    return grpc::Status::OK;
  });
}

grpc::Status WorkerServiceImpl::Session(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>* stream) {
  return Guarded(ctx, auth_, Role::kWorker, [&] {
    v1::WorkerMessage in;
    if (!stream->Read(&in)) return grpc::Status(grpc::StatusCode::CANCELLED, "no hello");
    if (!in.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the first message of a session must be a SessionHello");
    }
    auto opened = scheduler_->OpenSession(in.hello());
    if (!opened.ok()) return ToGrpcStatus(opened.status());
    std::shared_ptr<WorkerSession> session = *opened;
    // This thread reads; a second one writes what the scheduler queues for the worker. When
    // the scheduler closes the session (replaced, shutting down), the call is cancelled so the
    // blocked Read returns.
    std::atomic<bool> reading{true};
    std::thread writer([&] {
      v1::SchedulerMessage out;
      while (true) {
        if (session->Next(&out, absl::Milliseconds(200))) {
          if (!stream->Write(out)) break;
        } else if (session->closed() || ctx->IsCancelled()) {
          break;
        }
      }
      // Only a session the scheduler closed needs the blocked Read woken; cancelling after the
      // reader has finished would replace the status the handler returns with CANCELLED.
      if (reading.load()) ctx->TryCancel();
    });
    while (stream->Read(&in)) {
      if (const size_t size = in.ByteSizeLong(); size > max_message_bytes_) {
        // Refused like any bad write: the session stays open, nothing of it is applied.
        v1::SchedulerMessage r;
        r.mutable_rejection()->set_code(static_cast<int32_t>(grpc::StatusCode::RESOURCE_EXHAUSTED));
        r.mutable_rejection()->set_message(
            absl::StrCat("message of ", size, " bytes exceeds the limit of ", max_message_bytes_));
        if (in.has_points())
          r.mutable_rejection()->set_trial_id(in.points().trial_id().substr(0, 200));
        session->Send(std::move(r));
        continue;
      }
      scheduler_->HandleWorkerMessage(session, in);
    }
    reading.store(false);
    scheduler_->CloseSession(session);
    writer.join();
    return grpc::Status::OK;
  });
}

// ---- SweepService ----

grpc::Status SweepServiceImpl::SubmitSweep(grpc::ServerContext* ctx,
                                           const v1::SubmitSweepRequest* req,
                                           v1::SubmitSweepResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, [&] {
    auto r = scheduler_->Submit(*req);
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp = std::move(*r);
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::ListSweeps(grpc::ServerContext* ctx,
                                          const v1::ListSweepsRequest* req,
                                          v1::ListSweepsResponse* resp) {
  return Guarded(ctx, auth_, Role::kView, [&] {
    auto page = scheduler_->ListSweeps(req->page_size(), req->page_token());
    if (!page.ok()) return ToGrpcStatus(page.status());
    for (v1::Sweep& s : page->sweeps) {
      s.mutable_spec()->clear_source_yaml();
      *resp->add_sweeps() = std::move(s);
    }
    resp->set_next_page_token(page->next_page_token);
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::GetSweep(grpc::ServerContext* ctx, const v1::GetSweepRequest* req,
                                        v1::GetSweepResponse* resp) {
  return Guarded(ctx, auth_, Role::kView, [&] {
    auto r = scheduler_->GetSweep(req->sweep_id());
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp = std::move(*r);
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::WatchRanking(grpc::ServerContext* ctx,
                                            const v1::WatchRankingRequest* req,
                                            grpc::ServerWriter<v1::WatchRankingResponse>* writer) {
  return Guarded(ctx, auth_, Role::kView, [&] {
    const absl::Duration min_interval =
        absl::Milliseconds(req->min_interval_ms() > 0 ? req->min_interval_ms() : 1000);
    int64_t seen = -1;
    int decisions_sent = 0;
    while (!ctx->IsCancelled()) {
      const int64_t version = scheduler_->WaitForChange(seen, absl::Seconds(1));
      if (version == seen) continue;
      seen = version;
      auto r = scheduler_->GetSweep(req->sweep_id());
      if (!r.ok()) return ToGrpcStatus(r.status());
      v1::WatchRankingResponse update;
      *update.mutable_sweep() = r->sweep();
      update.mutable_sweep()->mutable_spec()->clear_source_yaml();
      *update.mutable_ranking() = r->ranking();
      for (int i = decisions_sent; i < r->decisions_size(); ++i) {
        *update.add_new_decisions() = r->decisions(i);
      }
      decisions_sent = r->decisions_size();
      if (!writer->Write(update)) return grpc::Status::OK;
      if (r->sweep().state() != v1::Sweep::STATE_RUNNING) return grpc::Status::OK;
      absl::SleepFor(min_interval);
    }
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::StopTrial(grpc::ServerContext* ctx,
                                         const v1::TrialActionRequest* req,
                                         v1::TrialActionResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, [&] {
    return TrialAction(*req, resp, [&](const std::string& id, const std::string& reason) {
      return scheduler_->StopTrial(id, reason);
    });
  });
}

grpc::Status SweepServiceImpl::PauseTrial(grpc::ServerContext* ctx,
                                          const v1::TrialActionRequest* req,
                                          v1::TrialActionResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, [&] {
    return TrialAction(*req, resp, [&](const std::string& id, const std::string& reason) {
      return scheduler_->PauseTrial(id, reason);
    });
  });
}

grpc::Status SweepServiceImpl::ResumeTrial(grpc::ServerContext* ctx,
                                           const v1::TrialActionRequest* req,
                                           v1::TrialActionResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, [&] {
    return TrialAction(*req, resp, [&](const std::string& id, const std::string& reason) {
      return scheduler_->ResumeTrial(id, reason);
    });
  });
}

grpc::Status SweepServiceImpl::CancelSweep(grpc::ServerContext* ctx,
                                           const v1::CancelSweepRequest* req,
                                           v1::CancelSweepResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, [&] {
    auto r = scheduler_->CancelSweep(req->sweep_id());
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp->mutable_sweep() = std::move(*r);
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::ExportCurves(grpc::ServerContext* ctx,
                                            const v1::ExportCurvesRequest* req,
                                            grpc::ServerWriter<v1::TrialCurve>* writer) {
  return Guarded(ctx, auth_, Role::kView, [&] {
    auto trials = scheduler_->ListTrials(req->sweep_id());
    if (!trials.ok()) return ToGrpcStatus(trials.status());
    std::set<std::string> wanted(req->trial_ids().begin(), req->trial_ids().end());
    for (v1::Trial& t : *trials) {
      if (!wanted.empty() && !wanted.count(t.trial_id())) continue;
      auto points = scheduler_->ReadPoints(t.trial_id());
      if (!points.ok()) return ToGrpcStatus(points.status());
      v1::TrialCurve curve;
      t.clear_config();
      *curve.mutable_trial() = std::move(t);
      for (auto& p : *points) *curve.add_points() = std::move(p);
      if (!writer->Write(curve)) return grpc::Status::OK;
    }
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::ListWorkers(grpc::ServerContext* ctx,
                                           const v1::ListWorkersRequest* req,
                                           v1::ListWorkersResponse* resp) {
  return Guarded(ctx, auth_, Role::kView, [&] {
    auto r = scheduler_->ListWorkers();
    if (!r.ok()) return ToGrpcStatus(r.status());
    for (auto& w : *r) *resp->add_workers() = std::move(w);
    return grpc::Status::OK;
  });
}

}  // namespace augur
