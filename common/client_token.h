// The bearer token a client of the scheduler (augur, augur-worker) sends, from its flags, a file
// or the environment. The channel that sends it is common/client_auth.h.
#ifndef AUGUR_COMMON_CLIENT_TOKEN_H_
#define AUGUR_COMMON_CLIENT_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/tls_options.h"

namespace augur {

// The environment variable a token may come from.
inline constexpr char kTokenEnv[] = "AUGUR_TOKEN";

// The token to send: `flag_token` (--token) if set, else the first line of `token_file`
// (--token-file; '#' comments and blank lines skipped, whitespace trimmed), else `env_token`
// ($AUGUR_TOKEN; nullptr when unset), else "" (send none). INVALID_ARGUMENT if the file holds
// no token (an empty token file must not silently mean "no auth"), NOT_FOUND if it cannot be
// read; both name the file.
absl::StatusOr<std::string> ResolveClientToken(const std::string& flag_token,
                                               const std::string& token_file,
                                               const char* env_token);

// The token every scheduler connection of this process sends (the augur command line sets it
// once, before any connection is made). Thread-safe.
void SetProcessClientToken(std::string token);
std::string ProcessClientToken();
// The TLS files every scheduler connection of this process uses (set with the token).
void SetProcessClientTls(TlsClientFiles tls);
TlsClientFiles ProcessClientTls();

}  // namespace augur

#endif  // AUGUR_COMMON_CLIENT_TOKEN_H_
