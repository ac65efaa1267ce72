#include "scheduler/token_table.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace augur {
namespace {

std::array<unsigned char, 32> Digest(absl::string_view token) {
  std::array<unsigned char, 32> d;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
  return d;
}

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kView:
      return "view";
    case Role::kSubmit:
      return "submit";
    case Role::kWorker:
      return "worker";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

std::string TokenDigestHex(absl::string_view token) {
  const auto d = Digest(token);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(d.data()), 32));
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text, const std::string& path) {
  static const std::map<std::string, Role, std::less<>> kRoles = {{"view", Role::kView},
                                                                  {"submit", Role::kSubmit},
                                                                  {"worker", Role::kWorker},
                                                                  {"admin", Role::kAdmin}};
  TokenTable table;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++n;
    absl::string_view s = absl::StripAsciiWhitespace(line);
    if (s.empty() || s[0] == '#') continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(s, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto role = parts.empty() ? kRoles.end() : kRoles.find(parts[0]);
    if (parts.size() < 2 || parts.size() > 3 || role == kRoles.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", n,
          ": expected 'ROLE TOKEN [NAME]' with ROLE one of view, submit, worker, admin"));
    }
    Entry e;
    e.role = role->second;
    e.name = parts.size() == 3 ? std::string(parts[2]) : absl::StrCat(parts[0], "@line", n);
    absl::string_view token = parts[1];
    if (absl::ConsumePrefix(&token, "sha256:")) {
      if (!IsHex64(token)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", n, ": sha256: must be followed by 64 hex digits"));
      }
      const std::string bytes = absl::HexStringToBytes(absl::AsciiStrToLower(token));
      std::copy(bytes.begin(), bytes.end(), e.digest.begin());
    } else {
      e.digest = Digest(token);
    }
    table.entries_.push_back(std::move(e));
  }
  if (table.entries_.empty()) {
    // Without tokens every call is allowed: a file meant to restrict access must not do that.
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": no 'ROLE TOKEN' line; an empty tokens file would turn auth off "
                     "(leave --tokens-file out for that)"));
  }
  return table;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  std::stringstream s;
  s << in.rdbuf();
  return Parse(s.str(), path);
}

std::optional<TokenTable::Match> TokenTable::Find(absl::string_view token) const {
  const auto d = Digest(token);
  const Entry* found = nullptr;
  for (const Entry& e : entries_) {
    // Every entry is compared, whatever matched before.
    const bool same = CRYPTO_memcmp(e.digest.data(), d.data(), d.size()) == 0;
    if (same && found == nullptr) found = &e;
  }
  if (found == nullptr) return std::nullopt;
  return Match{found->role, found->name};
}

}  // namespace augur
