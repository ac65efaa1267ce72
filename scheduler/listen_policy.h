// Secure by default: what the scheduler may serve on which address. On loopback (127.0.0.0/8,
// ::1, localhost, a unix socket) anything goes: that is `augur run` on one machine, with no TLS
// and no tokens. Anywhere else the port needs TLS and a tokens file, unless the operator says
// --insecure, which is then announced at start and in every `augur status` and `augur workers`.
#ifndef AUGUR_SCHEDULER_LISTEN_POLICY_H_
#define AUGUR_SCHEDULER_LISTEN_POLICY_H_

#include <string>

#include "absl/status/statusor.h"

namespace augur {

// Whether `listen_address` ("HOST:PORT", "[V6]:PORT", "unix:PATH") is reachable from this
// machine only.
bool IsLoopbackAddress(const std::string& listen_address);

struct ListenSecurity {
  bool tls = false;
  bool tokens = false;
  bool insecure = false;  // --insecure: the operator accepts what is missing.
};

// The warning to show for a permitted listener ("" when it is secure or on loopback), or
// FAILED_PRECONDITION naming the address and what is missing, and how to fix it.
absl::StatusOr<std::string> CheckListenPolicy(const std::string& listen_address,
                                              const ListenSecurity& security);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_LISTEN_POLICY_H_
