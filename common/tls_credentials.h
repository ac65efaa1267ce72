// gRPC credentials from the TLS files of common/tls_options.h: the one place where each side
// turns its files into channel or server credentials. Without TLS files, insecure credentials
// (the loopback default of `augur run`); the scheduler refuses those off loopback unless told
// --insecure (scheduler/listen_policy.h).
#ifndef AUGUR_COMMON_TLS_CREDENTIALS_H_
#define AUGUR_COMMON_TLS_CREDENTIALS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/tls_options.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace augur {

// TLS server credentials (with client certificates requested and verified when
// `client_ca_file` is set) that re-read their files every `reload_seconds`, or read them once
// when it is 0; insecure ones when TLS is off. Errors (of the files at start) as ReadServerPem.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsServerFiles& files);

// SSL channel credentials, or insecure ones when TLS is off. Sets the target-name override
// in `args` when `files.server_name` is given. Errors as ReadClientPem.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const TlsClientFiles& files, grpc::ChannelArguments* args);

}  // namespace augur

#endif  // AUGUR_COMMON_TLS_CREDENTIALS_H_
