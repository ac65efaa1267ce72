#include "common/client_token.h"

#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace augur {
namespace {

struct ProcessToken {
  absl::Mutex mu;
  std::string token ABSL_GUARDED_BY(mu);
  TlsClientFiles tls ABSL_GUARDED_BY(mu);
};

ProcessToken& TheProcessToken() {
  static ProcessToken* token = new ProcessToken;
  return *token;
}

}  // namespace

absl::StatusOr<std::string> ResolveClientToken(const std::string& flag_token,
                                               const std::string& token_file,
                                               const char* env_token) {
  if (!flag_token.empty()) return flag_token;
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", token_file));
    std::string line;
    while (std::getline(in, line)) {
      const std::string token(absl::StripAsciiWhitespace(line));
      if (!token.empty() && token[0] != '#') return token;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("token file ", token_file, " holds no token (one line: the token)"));
  }
  if (env_token != nullptr) return std::string(absl::StripAsciiWhitespace(env_token));
  return std::string();
}

void SetProcessClientToken(std::string token) {
  absl::MutexLock lock(&TheProcessToken().mu);
  TheProcessToken().token = std::move(token);
}

std::string ProcessClientToken() {
  absl::MutexLock lock(&TheProcessToken().mu);
  return TheProcessToken().token;
}

void SetProcessClientTls(TlsClientFiles tls) {
  absl::MutexLock lock(&TheProcessToken().mu);
  TheProcessToken().tls = std::move(tls);
}

TlsClientFiles ProcessClientTls() {
  absl::MutexLock lock(&TheProcessToken().mu);
  return TheProcessToken().tls;
}

}  // namespace augur
