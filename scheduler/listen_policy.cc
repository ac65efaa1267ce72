#include "scheduler/listen_policy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace augur {

bool IsLoopbackAddress(const std::string& listen_address) {
  if (absl::StartsWith(listen_address, "unix:")) return true;
  std::string host = listen_address.substr(0, listen_address.rfind(':'));
  if (absl::StartsWith(listen_address, "[")) {
    host = listen_address.substr(1, listen_address.find(']') - 1);
  }
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8: four dotted parts, the first 127.
  return absl::StartsWith(host, "127.") && std::count(host.begin(), host.end(), '.') == 3 &&
         host.find_first_not_of("0123456789.") == std::string::npos;
}

absl::StatusOr<std::string> CheckListenPolicy(const std::string& listen_address,
                                              const ListenSecurity& security) {
  if (IsLoopbackAddress(listen_address) || (security.tls && security.tokens)) return "";
  std::vector<std::string> missing;
  if (!security.tls) missing.push_back("TLS (--tls-cert, --tls-key)");
  if (!security.tokens) missing.push_back("tokens (--tokens-file)");
  const std::string what = absl::StrJoin(missing, " and ");
  if (!security.insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve on ", listen_address, " without ", what,
        ": off loopback the port needs both (`augur certs DIR` makes them), or (augur-scheduler) "
        "--insecure to accept an open port"));
  }
  return absl::StrCat("INSECURE: the scheduler serves ", listen_address, " without ", what,
                      " (--insecure)",
                      security.tokens ? "; tokens cross the network in clear text"
                                      : "; anyone who reaches the port may submit, stop and "
                                        "delete sweeps");
}

}  // namespace augur
