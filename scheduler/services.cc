#include "scheduler/services.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "scheduler/curve_export.h"

namespace augur {
namespace {

// Runs a handler body for an authorized caller; an exception becomes INTERNAL instead of
// escaping into gRPC.
template <typename F>
grpc::Status Guarded(grpc::ServerContext* ctx, Authorizer* auth, Role role, const char* method,
                     F&& body) {
  Caller caller;
  grpc::Status allowed = auth->Authorize(*ctx, role, method, &caller);
  if (!allowed.ok()) return allowed;
  try {
    return body(caller);
  } catch (const std::exception& e) {
    return grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("internal error: ", e.what()));
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

// OK if `caller` may change sweep `sweep_id` (its owner, or an admin). NOT_FOUND for an
// unknown sweep.
grpc::Status MayChange(Scheduler* scheduler, Authorizer* auth, const grpc::ServerContext& ctx,
                       const Caller& caller, const char* method, const std::string& sweep_id) {
  if (!auth->enabled() || caller.role == Role::kAdmin) return grpc::Status::OK;
  auto owner = scheduler->SweepOwner(sweep_id);
  if (!owner.ok()) return ToGrpcStatus(owner.status());
  return auth->CheckOwner(caller, *owner, method, sweep_id, ctx.peer());
}

// The sweep a trial id ("SWEEP/tNNN") belongs to.
std::string SweepOfTrial(const std::string& trial_id) {
  return trial_id.substr(0, trial_id.find('/'));
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

constexpr int64_t kDefaultPageSize = 1000;
constexpr int64_t kMaxPageSize = 5000;

int64_t PageSize(int32_t asked) {
  return asked <= 0 ? kDefaultPageSize : std::min<int64_t>(asked, kMaxPageSize);
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
  return Guarded(ctx, auth_, Role::kWorker, "RegisterWorker", [&](const Caller& caller) {
    auto r = scheduler_->RegisterWorker(*req);
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp = std::move(*r);
    return grpc::Status::OK;
  });
}

grpc::Status WorkerServiceImpl::Session(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>* stream) {
  return Guarded(ctx, auth_, Role::kWorker, "Session", [&](const Caller& caller) {
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
  return Guarded(ctx, auth_, Role::kSubmit, "SubmitSweep", [&](const Caller& caller) {
    auto r = scheduler_->Submit(*req, caller.name);
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp = std::move(*r);
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::ListSweeps(grpc::ServerContext* ctx,
                                          const v1::ListSweepsRequest* req,
                                          v1::ListSweepsResponse* resp) {
  return Guarded(ctx, auth_, Role::kView, "ListSweeps", [&](const Caller& caller) {
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
  return Guarded(ctx, auth_, Role::kView, "GetSweep", [&](const Caller& caller) {
    // The page token is the offset of the page's first row in both lists.
    int64_t offset = 0;
    if (!req->page_token().empty() &&
        (!absl::SimpleAtoi(req->page_token(), &offset) || offset < 0)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("bad page_token '", req->page_token().substr(0, 40), "'"));
    }
    const int64_t size = PageSize(req->page_size());
    auto r = scheduler_->GetSweep(req->sweep_id(), {offset, size, offset, size});
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp = std::move(*r);
    resp->set_security_warning(security_warning_);
    if (offset + size < std::max(resp->total_trials(), resp->total_decisions())) {
      resp->set_next_page_token(absl::StrCat(offset + size));
    }
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::WatchRanking(grpc::ServerContext* ctx,
                                            const v1::WatchRankingRequest* req,
                                            grpc::ServerWriter<v1::WatchRankingResponse>* writer) {
  return Guarded(ctx, auth_, Role::kView, "WatchRanking", [&](const Caller& caller) {
    const absl::Duration min_interval =
        absl::Milliseconds(req->min_interval_ms() > 0 ? req->min_interval_ms() : 1000);
    int64_t seen = -1;
    int64_t decisions_sent = 0;
    while (!ctx->IsCancelled()) {
      const int64_t version = scheduler_->WaitForChange(seen, absl::Seconds(1));
      if (version == seen) continue;
      seen = version;
      auto r = scheduler_->GetSweep(req->sweep_id(),
                                    {0, PageSize(req->max_rows()), decisions_sent, kMaxPageSize});
      if (!r.ok()) return ToGrpcStatus(r.status());
      v1::WatchRankingResponse update;
      *update.mutable_sweep() = r->sweep();
      update.mutable_sweep()->mutable_spec()->clear_source_yaml();
      *update.mutable_ranking() = r->ranking();
      *update.mutable_new_decisions() = r->decisions();
      update.set_total_trials(r->total_trials());
      // Decisions beyond one page's worth are skipped: a watch shows what is new.
      decisions_sent = r->total_decisions();
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
  return Guarded(ctx, auth_, Role::kSubmit, "StopTrial", [&](const Caller& caller) {
    grpc::Status may =
        MayChange(scheduler_, auth_, *ctx, caller, "StopTrial", SweepOfTrial(req->trial_id()));
    if (!may.ok()) return may;
    return TrialAction(*req, resp, [&](const std::string& id, const std::string& reason) {
      return scheduler_->StopTrial(id, reason);
    });
  });
}

grpc::Status SweepServiceImpl::PauseTrial(grpc::ServerContext* ctx,
                                          const v1::TrialActionRequest* req,
                                          v1::TrialActionResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, "PauseTrial", [&](const Caller& caller) {
    grpc::Status may =
        MayChange(scheduler_, auth_, *ctx, caller, "PauseTrial", SweepOfTrial(req->trial_id()));
    if (!may.ok()) return may;
    return TrialAction(*req, resp, [&](const std::string& id, const std::string& reason) {
      return scheduler_->PauseTrial(id, reason);
    });
  });
}

grpc::Status SweepServiceImpl::ResumeTrial(grpc::ServerContext* ctx,
                                           const v1::TrialActionRequest* req,
                                           v1::TrialActionResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, "ResumeTrial", [&](const Caller& caller) {
    grpc::Status may =
        MayChange(scheduler_, auth_, *ctx, caller, "ResumeTrial", SweepOfTrial(req->trial_id()));
    if (!may.ok()) return may;
    return TrialAction(*req, resp, [&](const std::string& id, const std::string& reason) {
      return scheduler_->ResumeTrial(id, reason);
    });
  });
}

grpc::Status SweepServiceImpl::CancelSweep(grpc::ServerContext* ctx,
                                           const v1::CancelSweepRequest* req,
                                           v1::CancelSweepResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, "CancelSweep", [&](const Caller& caller) {
    grpc::Status may = MayChange(scheduler_, auth_, *ctx, caller, "CancelSweep", req->sweep_id());
    if (!may.ok()) return may;
    auto r = scheduler_->CancelSweep(req->sweep_id(), caller.name, req->reason());
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp->mutable_sweep() = std::move(*r);
    resp->mutable_sweep()->mutable_spec()->clear_source_yaml();
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::DeleteSweep(grpc::ServerContext* ctx,
                                           const v1::DeleteSweepRequest* req,
                                           v1::DeleteSweepResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, "DeleteSweep", [&](const Caller& caller) {
    grpc::Status may = MayChange(scheduler_, auth_, *ctx, caller, "DeleteSweep", req->sweep_id());
    if (!may.ok()) return may;
    auto r = scheduler_->DeleteSweep(req->sweep_id(), req->force(), caller.name);
    if (!r.ok()) return ToGrpcStatus(r.status());
    resp->set_sweep_id(req->sweep_id());
    resp->set_trials_deleted(*r);
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::AnnotateSweep(grpc::ServerContext* ctx,
                                             const v1::AnnotateSweepRequest* req,
                                             v1::AnnotateSweepResponse* resp) {
  return Guarded(ctx, auth_, Role::kSubmit, "AnnotateSweep", [&](const Caller& caller) {
    grpc::Status may = MayChange(scheduler_, auth_, *ctx, caller, "AnnotateSweep", req->sweep_id());
    if (!may.ok()) return may;
    auto r = scheduler_->AnnotateSweep(*req, caller.name);
    if (!r.ok()) return ToGrpcStatus(r.status());
    *resp->mutable_sweep() = std::move(*r);
    resp->mutable_sweep()->mutable_spec()->clear_source_yaml();
    return grpc::Status::OK;
  });
}

grpc::Status SweepServiceImpl::ExportCurves(grpc::ServerContext* ctx,
                                            const v1::ExportCurvesRequest* req,
                                            grpc::ServerWriter<v1::TrialCurve>* writer) {
  return Guarded(ctx, auth_, Role::kView, "ExportCurves", [&](const Caller& caller) {
    absl::Status status = augur::ExportCurves(
        *scheduler_, req->sweep_id(), {req->trial_ids().begin(), req->trial_ids().end()},
        [&](const v1::TrialCurve& curve) { return writer->Write(curve); });
    return ToGrpcStatus(status);
  });
}

grpc::Status SweepServiceImpl::ListWorkers(grpc::ServerContext* ctx,
                                           const v1::ListWorkersRequest* req,
                                           v1::ListWorkersResponse* resp) {
  return Guarded(ctx, auth_, Role::kView, "ListWorkers", [&](const Caller& caller) {
    auto r = scheduler_->ListWorkers();
    if (!r.ok()) return ToGrpcStatus(r.status());
    for (auto& w : *r) *resp->add_workers() = std::move(w);
    resp->set_security_warning(security_warning_);
    resp->set_refused_calls(auth_->refused_calls());
    return grpc::Status::OK;
  });
}

}  // namespace augur
