#include "common/tls_credentials.h"

#include "common/status_macros.h"

namespace augur {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsServerFiles& files) {
  ASSIGN_OR_RETURN(TlsServerPem pem, ReadServerPem(files));
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  // With a client CA, a presented certificate must verify, but none is required at the
  // handshake: the CLI's users authenticate with tokens, and scheduler/auth.h requires a
  // verified certificate for worker calls.
  grpc::SslServerCredentialsOptions options(pem.client_ca.empty()
                                                ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                                : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pem.client_ca;
  options.pem_key_cert_pairs.push_back({pem.private_key, pem.cert_chain});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const TlsClientFiles& files, grpc::ChannelArguments* args) {
  ASSIGN_OR_RETURN(TlsClientPem pem, ReadClientPem(files));
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  if (!files.server_name.empty()) args->SetSslTargetNameOverride(files.server_name);
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pem.root_ca;
  options.pem_private_key = pem.private_key;
  options.pem_cert_chain = pem.cert_chain;
  return grpc::SslCredentials(options);
}

}  // namespace augur
