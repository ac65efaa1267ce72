#include "common/tls_options.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace augur {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream s;
  s << in.rdbuf();
  if (!absl::StrContains(s.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " holds no PEM block"));
  }
  return s.str();
}

}  // namespace

void AddServerTlsFlags(FlagSet& flags, TlsServerFiles* files) {
  flags.AddString("tls-cert", "PEM", "server certificate chain; with --tls-key turns TLS on",
                  &files->cert_file);
  flags.AddString("tls-key", "PEM", "server private key", &files->key_file);
  flags.AddString("tls-client-ca", "PEM",
                  "mutual TLS: CA of client certificates; workers must present one",
                  &files->client_ca_file);
  flags.AddInt("tls-reload-seconds", "N",
               "re-read the three files this often, for renewed certificates (0: never)",
               &files->reload_seconds);
}

void AddClientTlsFlags(FlagSet& flags, TlsClientFiles* files) {
  flags.AddString(
      "tls-ca", "PEM",
      absl::StrCat("CA of the scheduler's certificate; turns TLS on (else $", kTlsCaEnv, ")"),
      &files->ca_file);
  flags.AddString("tls-cert", "PEM",
                  absl::StrCat("client certificate for mutual TLS (else $", kTlsCertEnv, ")"),
                  &files->cert_file);
  flags.AddString("tls-key", "PEM", absl::StrCat("client private key (else $", kTlsKeyEnv, ")"),
                  &files->key_file);
  flags.AddString("tls-server-name", "NAME",
                  "name the scheduler's certificate must carry, if not the host dialled",
                  &files->server_name);
}

void ClientTlsFromEnv(const std::function<const char*(const char*)>& getenv,
                      TlsClientFiles* files) {
  const auto fill = [&](std::string* field, const char* name) {
    if (!field->empty() || !getenv) return;
    if (const char* v = getenv(name); v != nullptr) *field = v;
  };
  fill(&files->ca_file, kTlsCaEnv);
  fill(&files->cert_file, kTlsCertEnv);
  fill(&files->key_file, kTlsKeyEnv);
}

absl::StatusOr<TlsServerPem> ReadServerPem(const TlsServerFiles& files) {
  TlsServerPem pem;
  if (!files.enabled()) {
    if (!files.client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return pem;
  }
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  ASSIGN_OR_RETURN(pem.cert_chain, ReadPem(files.cert_file, "TLS certificate"));
  ASSIGN_OR_RETURN(pem.private_key, ReadPem(files.key_file, "TLS key"));
  if (!files.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(pem.client_ca, ReadPem(files.client_ca_file, "TLS client CA"));
  }
  return pem;
}

absl::StatusOr<TlsClientPem> ReadClientPem(const TlsClientFiles& files) {
  TlsClientPem pem;
  if (!files.enabled()) {
    if (!files.cert_file.empty() || !files.key_file.empty()) {
      return absl::InvalidArgumentError("a TLS client certificate needs --tls-ca as well");
    }
    return pem;
  }
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client certificate needs both --tls-cert and --tls-key");
  }
  ASSIGN_OR_RETURN(pem.root_ca, ReadPem(files.ca_file, "TLS CA"));
  if (!files.cert_file.empty()) {
    ASSIGN_OR_RETURN(pem.cert_chain, ReadPem(files.cert_file, "TLS certificate"));
    ASSIGN_OR_RETURN(pem.private_key, ReadPem(files.key_file, "TLS key"));
  }
  return pem;
}

}  // namespace augur
