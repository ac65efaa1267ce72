// The scheduler's tokens, as read from a tokens file: for each token its role and the name it
// stands for, with the token itself kept only as a SHA-256 digest. A presented token is hashed
// and compared with every entry in constant time (no early exit, CRYPTO_memcmp), so neither
// the file in memory nor the time a lookup takes gives a token away.
//
// File format, one per line, '#' comments:
//   ROLE TOKEN [NAME]            ROLE: view, submit, worker or admin
//   ROLE sha256:HEX64 [NAME]     the same with the token's SHA-256 instead of the token
// NAME is who the token stands for (in logs, and as the owner of the sweeps it submits);
// without it "ROLE@lineN". `augur token` prints a new token and its hashed line.
#ifndef AUGUR_SCHEDULER_TOKEN_TABLE_H_
#define AUGUR_SCHEDULER_TOKEN_TABLE_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace augur {

enum class Role { kView = 0, kSubmit = 1, kWorker = 2, kAdmin = 3 };

// "view", "submit", "worker", "admin".
const char* RoleName(Role role);

// The SHA-256 of `token`, as 64 lowercase hex digits.
std::string TokenDigestHex(absl::string_view token);

class TokenTable {
 public:
  struct Entry {
    std::array<unsigned char, 32> digest;
    Role role;
    std::string name;
  };
  struct Match {
    Role role;
    std::string name;
  };

  // Parses the text of a tokens file; `path` is only for messages. INVALID_ARGUMENT names
  // the line (never echoing a token), or the file when it holds no token line.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text, const std::string& path);
  // Reads and parses `path`; NOT_FOUND if it cannot be read.
  static absl::StatusOr<TokenTable> Load(const std::string& path);

  // The entry of `token`, if any. Takes the same time whichever entry matches (or none).
  std::optional<Match> Find(absl::string_view token) const;
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_TOKEN_TABLE_H_
