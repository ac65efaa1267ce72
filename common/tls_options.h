// Which TLS files a server or a client uses, in one place for every Augur endpoint: the gRPC
// port of augur-scheduler (and of `augur run --listen`), the clients `augur` and augur-worker,
// and later the dashboard's HTTPS port, which can take the same TlsServerFiles. Plain structs
// and file reading only; the gRPC credentials built from them are common/tls_credentials.h.
// `augur certs` makes a private CA and these files (docs/cluster.md, "Security").
#ifndef AUGUR_COMMON_TLS_OPTIONS_H_
#define AUGUR_COMMON_TLS_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/flags.h"

namespace augur {

// A server's certificate and key (PEM files). With `client_ca_file`, clients are asked for a
// certificate, and one that is presented must chain to that CA; worker calls then require one
// (scheduler/auth.h), user calls still authenticate with tokens alone.
struct TlsServerFiles {
  std::string cert_file;       // Certificate chain, PEM. Empty with key_file: no TLS.
  std::string key_file;        // Private key, PEM.
  std::string client_ca_file;  // CA of client certificates (mutual TLS); empty: none asked.
  // How often the gRPC port re-reads the three files, so that renewed certificates (a rotated
  // Kubernetes secret, a cron job of `augur certs`) take effect without a restart; 0: read once.
  // New handshakes use the new files, open connections keep theirs.
  int64_t reload_seconds = 60;
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// What a client trusts and, for mutual TLS, presents. TLS is on when `ca_file` is set.
struct TlsClientFiles {
  std::string ca_file;      // CA that signed the server's certificate, PEM.
  std::string cert_file;    // This client's certificate (mutual TLS), PEM; optional.
  std::string key_file;     // Its private key, PEM.
  std::string server_name;  // Name to check the server's certificate for; empty: the host.
  bool enabled() const { return !ca_file.empty(); }
};

// The PEM contents of the files.
struct TlsServerPem {
  std::string cert_chain, private_key, client_ca;
};
struct TlsClientPem {
  std::string root_ca, cert_chain, private_key;
};

// Environment variables a client's files come from when its flags are empty.
inline constexpr char kTlsCaEnv[] = "AUGUR_TLS_CA";
inline constexpr char kTlsCertEnv[] = "AUGUR_TLS_CERT";
inline constexpr char kTlsKeyEnv[] = "AUGUR_TLS_KEY";

// --tls-cert, --tls-key, --tls-client-ca, --tls-reload-seconds.
void AddServerTlsFlags(FlagSet& flags, TlsServerFiles* files);
// --tls-ca, --tls-cert, --tls-key, --tls-server-name.
void AddClientTlsFlags(FlagSet& flags, TlsClientFiles* files);
// Fills the empty fields of `files` from $AUGUR_TLS_CA, $AUGUR_TLS_CERT and $AUGUR_TLS_KEY
// (`getenv` returns nullptr for an unset variable).
void ClientTlsFromEnv(const std::function<const char*(const char*)>& getenv, TlsClientFiles* files);

// Reads and checks the files: INVALID_ARGUMENT for a half-given pair (a cert without a key,
// a client CA without a server cert, a client cert without a CA), a file that holds no PEM
// block; NOT_FOUND for one that cannot be read. Each error names the file or the flag.
absl::StatusOr<TlsServerPem> ReadServerPem(const TlsServerFiles& files);
absl::StatusOr<TlsClientPem> ReadClientPem(const TlsClientFiles& files);

}  // namespace augur

#endif  // AUGUR_COMMON_TLS_OPTIONS_H_
