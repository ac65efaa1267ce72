#include "common/tls_credentials.h"

#include "common/status_macros.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace augur {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsServerFiles& files) {
  ASSIGN_OR_RETURN(TlsServerPem pem, ReadServerPem(files));
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  // With a client CA, a presented certificate must verify, but none is required at the
  // handshake: the CLI's users authenticate with tokens, and scheduler/auth.h requires a
  // verified certificate for worker calls.
  const grpc_ssl_client_certificate_request_type request =
      pem.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  if (files.reload_seconds > 0) {
    // gRPC's file watcher reads the files now and again every `reload_seconds` (it re-reads a
    // key and certificate whose modification times changed while it read them). New files
    // should be put in place by rename, key first (docs/cluster.md, "Renewing certificates"):
    // a file it cannot read leaves new handshakes failing until it can.
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        files.key_file, files.cert_file, files.client_ca_file,
        static_cast<unsigned int>(files.reload_seconds));
    grpc::experimental::TlsServerCredentialsOptions options(provider);
    options.watch_identity_key_cert_pairs();
    if (!pem.client_ca.empty()) options.watch_root_certs();
    options.set_cert_request_type(request);
    return grpc::experimental::TlsServerCredentials(options);
  }
  grpc::SslServerCredentialsOptions options(request);
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
