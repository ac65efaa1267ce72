#include "scheduler/server.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/tls_credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "scheduler/listen_policy.h"
#include "scheduler/planner.h"
#include "scheduler/sqlite_store.h"
#include "scheduler/store_lock.h"

namespace augur {

absl::StatusOr<std::unique_ptr<SchedulerServer>> SchedulerServer::Start(
    const ServerOptions& options, Clock* clock) {
  std::unique_ptr<SchedulerServer> s(new SchedulerServer());
  ASSIGN_OR_RETURN(s->security_warning_, CheckListenPolicy(options.listen_address,
                                                           {.tls = options.tls.enabled(),
                                                            .tokens = !options.tokens_file.empty(),
                                                            .insecure = options.insecure}));
  // Credentials are chosen here and only here (common/tls_credentials.h).
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   ServerCredentialsFor(options.tls));
  Authorizer::Options auth;
  auth.tokens_file = options.tokens_file;
  auth.require_worker_certificate = !options.tls.client_ca_file.empty();
  auth.clock = clock;
  ASSIGN_OR_RETURN(s->auth_, Authorizer::Open(auth));
  // Only one scheduler may own a store: a second one would hand out the same trials.
  ASSIGN_OR_RETURN(s->store_lock_, StoreLock::Acquire(options.db_path));
  ASSIGN_OR_RETURN(s->store_, SqliteStore::Open(options.db_path, *clock));
  s->scheduler_ =
      std::make_unique<Scheduler>(s->store_.get(), clock, options.scheduler,
                                  [](const v1::SweepSpec& spec, const std::string& sweep_id) {
                                    return StreamSweep(spec, sweep_id);
                                  });
  s->worker_service_ = std::make_unique<WorkerServiceImpl>(
      s->scheduler_.get(), s->auth_.get(), static_cast<size_t>(options.max_message_bytes));
  s->sweep_service_ =
      std::make_unique<SweepServiceImpl>(s->scheduler_.get(), s->auth_.get(), s->security_warning_);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, credentials, &s->port_);
  // gRPC sets SO_REUSEPORT by default: a second scheduler on the same port would start, and the
  // kernel would split the clients between the two. A taken port is an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The services enforce `max_message_bytes` with a clear status; the transport's own limit is
  // a memory guard above it (past it gRPC drops the message without telling the sender why).
  builder.SetMaxReceiveMessageSize(4 * options.max_message_bytes + (1 << 20));
  builder.RegisterService(s->worker_service_.get());
  builder.RegisterService(s->sweep_service_.get());
  // Each worker session and each ranking watch holds a thread in the synchronous server.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 4);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (address in use?)"));
  }
  s->host_ = options.listen_address.substr(0, options.listen_address.rfind(':'));
  if (!s->security_warning_.empty()) {
    Log(LogLevel::kWarning, "insecure_listener", {{"address", options.listen_address}},
        s->security_warning_);
  }
  s->scheduler_->Start();
  return s;
}

SchedulerServer::~SchedulerServer() { Shutdown(); }

std::string SchedulerServer::address() const { return absl::StrCat(host_, ":", port_); }

void SchedulerServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // Start may have failed before either was made (a missing tokens file, a db it cannot open):
  // the half-built server is destroyed on the way out.
  if (scheduler_) scheduler_->Stop();  // Closes sessions so their handlers return.
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

void SchedulerServer::Wait() {
  if (server_) server_->Wait();
}

}  // namespace augur
