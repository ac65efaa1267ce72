// A running scheduler: the SQLite store, the Scheduler core, both gRPC services on a port.
// Used by augur-scheduler and by the CLI's embedded single-machine mode (augur run).
#ifndef AUGUR_SCHEDULER_SERVER_H_
#define AUGUR_SCHEDULER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/tls_options.h"
#include "grpcpp/server.h"
#include "scheduler/auth.h"
#include "scheduler/scheduler.h"
#include "scheduler/services.h"
#include "scheduler/store.h"
#include "scheduler/store_lock.h"

namespace augur {

struct ServerOptions {
  std::string listen_address = "127.0.0.1:7070";  // Port 0 picks a free one.
  std::string db_path = "augur.db";               // SQLite file, created if missing.
  std::string tokens_file;                        // Empty: no access control.
  TlsServerFiles tls;                             // Empty: plain TCP.
  // Serve off loopback without TLS or tokens (scheduler/listen_policy.h); warned about.
  bool insecure = false;
  SchedulerOptions scheduler;
  int max_message_bytes = 16 << 20;  // Larger session messages are refused.
};

class SchedulerServer {
 public:
  // Opens the store, starts the scheduler and serves. UNAVAILABLE if the port is taken;
  // FAILED_PRECONDITION off loopback without TLS and tokens (and without `insecure`).
  static absl::StatusOr<std::unique_ptr<SchedulerServer>> Start(const ServerOptions& options,
                                                                Clock* clock = &RealClock());
  ~SchedulerServer();

  int port() const { return port_; }
  std::string address() const;
  Scheduler* scheduler() { return scheduler_.get(); }
  // Re-reads the tokens file (SIGHUP). The previous tokens stay if it fails.
  absl::Status ReloadTokens() { return auth_->Reload(); }
  // "" unless serving insecurely off loopback (--insecure): the warning shown to clients.
  const std::string& security_warning() const { return security_warning_; }
  // Stops accepting calls, ends streams, drains the writer. Idempotent.
  void Shutdown();
  // Blocks until Shutdown.
  void Wait();

 private:
  SchedulerServer() = default;
  std::string host_;
  int port_ = 0;
  std::unique_ptr<StoreLock> store_lock_;  // Held until the server is destroyed.
  std::unique_ptr<Store> store_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Authorizer> auth_;
  std::string security_warning_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<SweepServiceImpl> sweep_service_;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SERVER_H_
