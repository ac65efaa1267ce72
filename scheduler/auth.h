// The one server-side point every RPC passes for access control (DESIGN.md). Each handler
// first calls Authorizer::Authorize with its method's name and the role it needs; handlers that
// change a sweep then call CheckOwner. A caller proves a role with a bearer token
// ("authorization: Bearer <token>" metadata) from a tokens file (scheduler/token_table.h); with
// mutual TLS on, worker calls also need a client certificate that verified against the client
// CA. Without a tokens file every call is allowed (the loopback default of `augur run`;
// scheduler/listen_policy.h refuses that off loopback unless told --insecure).
//
// Roles: view reads; submit reads, submits and changes its own sweeps; worker uses only
// WorkerService; admin may do anything, to anyone's sweep.
//
// The tokens file is re-read when it changes (checked at most once per `reload_check`, on the
// injected clock, by the next call) or on Reload() (SIGHUP): tokens rotate without a restart.
// A file that no longer parses is logged and the previous tokens stay.
//
// Every refused call is counted and logged (event call_refused: method, caller name or
// "unknown", role, peer, code), never with the token. Thread-safe.
#ifndef AUGUR_SCHEDULER_AUTH_H_
#define AUGUR_SCHEDULER_AUTH_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "scheduler/token_table.h"

namespace augur {

// Who made a call. `name` is "local" when no tokens are configured.
struct Caller {
  std::string name = "local";
  Role role = Role::kAdmin;
};

// What is known of a call besides its token: for decisions on raw values (tests, fuzzing).
struct CallFacts {
  std::string authorization;               // The "authorization" metadata value, or "".
  bool peer_certificate_verified = false;  // A client certificate verified by the TLS layer.
  std::string peer;                        // For the log, e.g. "ipv4:10.0.0.7:51234".
};

class Authorizer {
 public:
  struct Options {
    std::string tokens_file;  // Empty: every call is allowed.
    // Worker calls need a verified client certificate (the server asks for them).
    bool require_worker_certificate = false;
    Clock* clock = &RealClock();
    absl::Duration reload_check = absl::Seconds(1);
  };

  Authorizer() = default;  // Allows everything.
  // Reads the tokens file. Errors as TokenTable::Load.
  static absl::StatusOr<std::unique_ptr<Authorizer>> Open(const Options& options);

  // OK (and `*caller` filled) if the call may use `method`, which needs `needed`.
  // UNAUTHENTICATED without a known token (or, for worker calls under mutual TLS, without a
  // verified client certificate); PERMISSION_DENIED for a token of the wrong role.
  grpc::Status Authorize(const grpc::ServerContext& ctx, Role needed, const char* method,
                         Caller* caller);
  grpc::Status AuthorizeFacts(const CallFacts& call, Role needed, const char* method,
                              Caller* caller);
  // OK if `caller` may change a sweep that `owner` submitted: its owner or an admin (anyone
  // when auth is off). PERMISSION_DENIED otherwise, counted and logged like the others.
  grpc::Status CheckOwner(const Caller& caller, const std::string& owner, const char* method,
                          const std::string& sweep_id, const std::string& peer);

  // Re-reads the tokens file now. The previous tokens stay if it fails.
  absl::Status Reload();

  bool enabled() const { return !options_.tokens_file.empty(); }
  // Calls refused since start.
  int64_t refused_calls() const { return refused_.load(); }

 private:
  explicit Authorizer(Options options) : options_(std::move(options)) {}
  std::shared_ptr<const TokenTable> Current();
  grpc::Status Refuse(grpc::StatusCode code, const std::string& message, const char* method,
                      const std::string& who, const std::string& peer);

  Options options_;
  std::atomic<int64_t> refused_{0};
  absl::Mutex mu_;
  std::shared_ptr<const TokenTable> table_ ABSL_GUARDED_BY(mu_);
  absl::Time next_check_ ABSL_GUARDED_BY(mu_);
  std::string file_stamp_ ABSL_GUARDED_BY(mu_);  // Inode, size and mtime last read.
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_AUTH_H_
