// gRPC adapters for augur.v1.SweepService and WorkerService: check access (role, then the
// sweep's owner for calls that change one), validate, call the Scheduler, map the status, finish.
// No logic of their own; no exception leaves a handler.
#ifndef AUGUR_SCHEDULER_SERVICES_H_
#define AUGUR_SCHEDULER_SERVICES_H_

#include "augur/v1/sweep.grpc.pb.h"
#include "augur/v1/worker.grpc.pb.h"
#include "scheduler/auth.h"
#include "scheduler/scheduler.h"

namespace augur {

grpc::Status ToGrpcStatus(const absl::Status& s);

class WorkerServiceImpl final : public v1::WorkerService::Service {
 public:
  // Session messages larger than `max_message_bytes` are refused with a RESOURCE_EXHAUSTED
  // Rejection (the session stays open).
  WorkerServiceImpl(Scheduler* scheduler, Authorizer* auth, size_t max_message_bytes)
      : scheduler_(scheduler), auth_(auth), max_message_bytes_(max_message_bytes) {}
  grpc::Status RegisterWorker(grpc::ServerContext* ctx, const v1::RegisterWorkerRequest* req,
                              v1::RegisterWorkerResponse* resp) override;
  grpc::Status Session(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>* stream) override;

 private:
  Scheduler* const scheduler_;
  Authorizer* const auth_;
  const size_t max_message_bytes_;
};

class SweepServiceImpl final : public v1::SweepService::Service {
 public:
  // `security_warning` (empty when the port is secure) is shown by GetSweep and ListWorkers:
  // `augur status` and `augur workers` print it (scheduler/listen_policy.h).
  SweepServiceImpl(Scheduler* scheduler, Authorizer* auth, std::string security_warning = "")
      : scheduler_(scheduler), auth_(auth), security_warning_(std::move(security_warning)) {}
  grpc::Status SubmitSweep(grpc::ServerContext* ctx, const v1::SubmitSweepRequest* req,
                           v1::SubmitSweepResponse* resp) override;
  grpc::Status ListSweeps(grpc::ServerContext* ctx, const v1::ListSweepsRequest* req,
                          v1::ListSweepsResponse* resp) override;
  grpc::Status GetSweep(grpc::ServerContext* ctx, const v1::GetSweepRequest* req,
                        v1::GetSweepResponse* resp) override;
  grpc::Status WatchRanking(grpc::ServerContext* ctx, const v1::WatchRankingRequest* req,
                            grpc::ServerWriter<v1::WatchRankingResponse>* writer) override;
  grpc::Status StopTrial(grpc::ServerContext* ctx, const v1::TrialActionRequest* req,
                         v1::TrialActionResponse* resp) override;
  grpc::Status PauseTrial(grpc::ServerContext* ctx, const v1::TrialActionRequest* req,
                          v1::TrialActionResponse* resp) override;
  grpc::Status ResumeTrial(grpc::ServerContext* ctx, const v1::TrialActionRequest* req,
                           v1::TrialActionResponse* resp) override;
  grpc::Status CancelSweep(grpc::ServerContext* ctx, const v1::CancelSweepRequest* req,
                           v1::CancelSweepResponse* resp) override;
  grpc::Status DeleteSweep(grpc::ServerContext* ctx, const v1::DeleteSweepRequest* req,
                           v1::DeleteSweepResponse* resp) override;
  grpc::Status AnnotateSweep(grpc::ServerContext* ctx, const v1::AnnotateSweepRequest* req,
                             v1::AnnotateSweepResponse* resp) override;
  grpc::Status ExportCurves(grpc::ServerContext* ctx, const v1::ExportCurvesRequest* req,
                            grpc::ServerWriter<v1::TrialCurve>* writer) override;
  grpc::Status ListWorkers(grpc::ServerContext* ctx, const v1::ListWorkersRequest* req,
                           v1::ListWorkersResponse* resp) override;

 private:
  Scheduler* const scheduler_;
  Authorizer* const auth_;
  const std::string security_warning_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SERVICES_H_
