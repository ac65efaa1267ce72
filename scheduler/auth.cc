#include "scheduler/auth.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace augur {

absl::StatusOr<Authorizer> Authorizer::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  std::map<std::string, Role> tokens;
  std::map<std::string, std::string> names;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    absl::string_view s = absl::StripAsciiWhitespace(line);
    if (s.empty() || s[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(s, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    static const std::map<std::string, Role> kRoles = {{"view", Role::kView},
                                                       {"submit", Role::kSubmit},
                                                       {"worker", Role::kWorker},
                                                       {"admin", Role::kAdmin}};
    if (parts.size() < 2 || parts.size() > 3 || !kRoles.count(parts[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", n,
          ": expected 'ROLE TOKEN [NAME]' with ROLE one of view, submit, worker, admin"));
    }
    tokens[parts[1]] = kRoles.at(parts[0]);
    names[parts[1]] = parts.size() == 3 ? parts[2] : absl::StrCat(parts[0], "@line", n);
  }
  if (tokens.empty()) {
    // Without tokens every call is allowed: a file meant to restrict access must not do that.
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": no 'ROLE TOKEN' line; an empty tokens file would turn auth off "
                     "(leave --tokens-file out for that)"));
  }
  return Authorizer(std::move(tokens), std::move(names));
}

std::string Authorizer::Principal(const grpc::ServerContext& ctx) const {
  if (tokens_.empty()) return "local";
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  return PrincipalOfHeader(it == md.end() ? "" : std::string(it->second.data(), it->second.size()));
}

std::string Authorizer::PrincipalOfHeader(const std::string& authorization) const {
  if (tokens_.empty()) return "local";
  absl::string_view h = authorization;
  if (!absl::ConsumePrefix(&h, "Bearer ")) return "unknown";
  auto it = tokens_.find(std::string(h));
  if (it == tokens_.end()) return "unknown";
  auto name = names_.find(it->first);
  return name != names_.end() ? name->second : "token";
}

grpc::Status Authorizer::Check(const grpc::ServerContext& ctx, Role needed) const {
  if (tokens_.empty()) return grpc::Status::OK;
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  return CheckHeader(it == md.end() ? "" : std::string(it->second.data(), it->second.size()),
                     needed);
}

grpc::Status Authorizer::CheckHeader(const std::string& authorization, Role needed) const {
  if (tokens_.empty()) return grpc::Status::OK;
  absl::string_view h = authorization;
  if (!absl::ConsumePrefix(&h, "Bearer ")) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing bearer token");
  }
  auto it = tokens_.find(std::string(h));
  if (it == tokens_.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown token");
  }
  const Role have = it->second;
  const bool ok =
      have == Role::kAdmin || have == needed || (have == Role::kSubmit && needed == Role::kView);
  return ok ? grpc::Status::OK
            : grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "token lacks the role");
}

}  // namespace augur
