// How the scheduler's clients (augur, augur-worker) connect and authenticate: the one place
// where their channel credentials are chosen (TLS from common/tls_options.h) and where a
// bearer token is attached as "authorization: Bearer TOKEN" to every call (scheduler/auth.h
// checks it).
#ifndef AUGUR_COMMON_CLIENT_AUTH_H_
#define AUGUR_COMMON_CLIENT_AUTH_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/tls_options.h"
#include "grpcpp/channel.h"

namespace augur {

struct ClientSecurity {
  std::string token;   // Sent with every call when not empty.
  TlsClientFiles tls;  // TLS when tls.enabled(); else plain TCP.
};

// A channel to `address` with `security`. Errors (a TLS file missing or not PEM) name the file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> SchedulerChannel(const std::string& address,
                                                                const ClientSecurity& security);

}  // namespace augur

#endif  // AUGUR_COMMON_CLIENT_AUTH_H_
