// The one server-side point every RPC passes for access control (DESIGN.md: security designed
// in now). Each handler first calls Authorizer::Check with the role its method needs. Today a
// caller proves a role with a bearer token ("authorization: Bearer <token>" metadata) from a
// tokens file; with no tokens configured every call is allowed (the single-machine default).
// TLS client identities can be mapped to roles here later without touching the handlers.
#ifndef AUGUR_SCHEDULER_AUTH_H_
#define AUGUR_SCHEDULER_AUTH_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace augur {

enum class Role { kView = 0, kSubmit = 1, kWorker = 2, kAdmin = 3 };

class Authorizer {
 public:
  Authorizer() = default;  // Allows everything.
  // `names` maps a token to the principal it stands for (see Principal); optional.
  explicit Authorizer(std::map<std::string, Role> tokens,
                      std::map<std::string, std::string> names = {})
      : tokens_(std::move(tokens)), names_(std::move(names)) {}

  // Parses a tokens file: one "ROLE TOKEN [NAME]" per line (roles: view, submit, worker,
  // admin), '#' comments. NAME is who the token stands for in the event log; without it,
  // "ROLE@line N". INVALID_ARGUMENT names the line, or the file when it holds no token.
  static absl::StatusOr<Authorizer> FromFile(const std::string& path);

  // OK if the call may use a method that needs `needed`. admin may do anything; submit may
  // also view; worker may only use WorkerService. UNAUTHENTICATED without a known token,
  // PERMISSION_DENIED for a token of the wrong role. Thread-safe (immutable).
  grpc::Status Check(const grpc::ServerContext& ctx, Role needed) const;
  // The same decision on a raw "authorization" header value (for tests).
  grpc::Status CheckHeader(const std::string& authorization, Role needed) const;

  bool enabled() const { return !tokens_.empty(); }

  // Who made a call, for the event log: "local" when no tokens are configured, else the name
  // of the caller's token ("unknown" without a known one). Never the token itself.
  std::string Principal(const grpc::ServerContext& ctx) const;
  std::string PrincipalOfHeader(const std::string& authorization) const;

 private:
  std::map<std::string, Role> tokens_;
  std::map<std::string, std::string> names_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_AUTH_H_
