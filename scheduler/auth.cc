#include "scheduler/auth.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace augur {
namespace {

// Identifies a version of the file: a rewrite in place changes size or mtime, a rename over it
// changes the inode.
std::string FileStamp(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  return absl::StrCat(st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
}

bool RoleAllows(Role have, Role needed) {
  return have == Role::kAdmin || have == needed || (have == Role::kSubmit && needed == Role::kView);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::Open(const Options& options) {
  std::unique_ptr<Authorizer> a(new Authorizer(options));
  if (options.tokens_file.empty()) return a;
  const std::string stamp = FileStamp(options.tokens_file);
  absl::StatusOr<TokenTable> table = TokenTable::Load(options.tokens_file);
  if (!table.ok()) return table.status();
  absl::MutexLock lock(&a->mu_);
  a->table_ = std::make_shared<const TokenTable>(std::move(*table));
  a->file_stamp_ = stamp;
  a->next_check_ = options.clock->Now() + options.reload_check;
  return a;
}

absl::Status Authorizer::Reload() {
  if (!enabled()) return absl::OkStatus();
  const std::string stamp = FileStamp(options_.tokens_file);
  absl::StatusOr<TokenTable> table = TokenTable::Load(options_.tokens_file);
  absl::MutexLock lock(&mu_);
  file_stamp_ = stamp;  // A bad version is reported once, not at every check.
  if (!table.ok()) {
    Log(LogLevel::kError, "tokens_reload_failed", {{"file", options_.tokens_file}},
        absl::StrCat(table.status().message(), "; the previous tokens stay in force"));
    return table.status();
  }
  Log(LogLevel::kInfo, "tokens_reloaded",
      {{"file", options_.tokens_file}, {"tokens", absl::StrCat(table->size())}});
  table_ = std::make_shared<const TokenTable>(std::move(*table));
  return absl::OkStatus();
}

std::shared_ptr<const TokenTable> Authorizer::Current() {
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = options_.clock->Now();
    if (now >= next_check_) {
      next_check_ = now + options_.reload_check;
      changed = FileStamp(options_.tokens_file) != file_stamp_;
    }
  }
  if (changed) Reload().IgnoreError();  // Logged by Reload.
  absl::MutexLock lock(&mu_);
  return table_;
}

grpc::Status Authorizer::Refuse(grpc::StatusCode code, const std::string& message,
                                const char* method, const std::string& who,
                                const std::string& peer) {
  const int64_t n = ++refused_;
  Log(LogLevel::kWarning, "call_refused",
      {{"method", method},
       {"caller", who},
       {"peer", peer},
       {"code",
        code == grpc::StatusCode::UNAUTHENTICATED ? "UNAUTHENTICATED" : "PERMISSION_DENIED"},
       {"refused_total", absl::StrCat(n)}},
      message);
  return grpc::Status(code, message);
}

grpc::Status Authorizer::Authorize(const grpc::ServerContext& ctx, Role needed, const char* method,
                                   Caller* caller) {
  if (!enabled()) {  // The loopback default: nothing to read from the call.
    *caller = Caller();
    return grpc::Status::OK;
  }
  CallFacts call;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    call.authorization.assign(it->second.data(), it->second.size());
  }
  const auto auth_context = ctx.auth_context();
  call.peer_certificate_verified = auth_context != nullptr && auth_context->IsPeerAuthenticated();
  call.peer = ctx.peer();
  return AuthorizeFacts(call, needed, method, caller);
}

grpc::Status Authorizer::AuthorizeFacts(const CallFacts& call, Role needed, const char* method,
                                        Caller* caller) {
  *caller = Caller();
  if (!enabled()) return grpc::Status::OK;
  const std::shared_ptr<const TokenTable> table = Current();
  absl::string_view token = call.authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ")) {
    return Refuse(grpc::StatusCode::UNAUTHENTICATED, "missing bearer token", method, "unknown",
                  call.peer);
  }
  const std::optional<TokenTable::Match> match = table->Find(token);
  if (!match) {
    return Refuse(grpc::StatusCode::UNAUTHENTICATED, "unknown token", method, "unknown", call.peer);
  }
  caller->name = match->name;
  caller->role = match->role;
  if (!RoleAllows(match->role, needed)) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  absl::StrCat("token of ", match->name, " has role ", RoleName(match->role), "; ",
                               method, " needs ", RoleName(needed)),
                  method, match->name, call.peer);
  }
  if (needed == Role::kWorker && options_.require_worker_certificate &&
      !call.peer_certificate_verified) {
    return Refuse(grpc::StatusCode::UNAUTHENTICATED,
                  "worker calls need a client certificate signed by the scheduler's "
                  "--tls-client-ca",
                  method, match->name, call.peer);
  }
  return grpc::Status::OK;
}

grpc::Status Authorizer::CheckOwner(const Caller& caller, const std::string& owner,
                                    const char* method, const std::string& sweep_id,
                                    const std::string& peer) {
  if (!enabled() || caller.role == Role::kAdmin || caller.name == owner) return grpc::Status::OK;
  return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat("sweep ", sweep_id, " belongs to ", owner.empty() ? "nobody" : owner,
                             "; only its owner or an admin may change it"),
                method, caller.name, peer);
}

}  // namespace augur
