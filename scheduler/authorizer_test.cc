// The access-control pieces on their own: the tokens file (hashed entries, errors that never
// echo a token), rotation without a restart on an injected clock, mutual TLS for worker calls,
// and which listen addresses count as loopback.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/clock.h"
#include "common/test_temp_dir.h"
#include "gtest/gtest.h"
#include "scheduler/auth.h"
#include "scheduler/listen_policy.h"
#include "scheduler/token_table.h"

namespace augur {
namespace {

std::string TempFile(const std::string& name, const std::string& text) {
  static const augur::testing::TempDir dir("authorizer_test");  // Removed at exit.
  const std::string path = dir.File(name);
  // Written aside and renamed over, as an operator's editor or `install` would.
  std::ofstream(path + ".new") << text;
  std::filesystem::rename(path + ".new", path);
  return path;
}

Authorizer::Options WithTokens(const std::string& path, Clock* clock = &RealClock(),
                               bool require_worker_certificate = false) {
  Authorizer::Options o;
  o.tokens_file = path;
  o.clock = clock;
  o.require_worker_certificate = require_worker_certificate;
  return o;
}

ListenSecurity Security(bool tls, bool tokens, bool insecure) {
  ListenSecurity s;
  s.tls = tls;
  s.tokens = tokens;
  s.insecure = insecure;
  return s;
}

CallFacts Bearer(const std::string& token) { return {"Bearer " + token, false, "test"}; }

TEST(TokenTable, PlainAndHashedLinesFindTheirRoleAndName) {
  auto t = TokenTable::Parse(
      "admin s3cret root\n# c\n\nworker sha256:" + TokenDigestHex("w0rker") + "\nview v1ew",
      "tokens");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size(), 3u);
  EXPECT_EQ(t->Find("s3cret")->name, "root");
  EXPECT_EQ(t->Find("w0rker")->role, Role::kWorker);
  EXPECT_EQ(t->Find("w0rker")->name, "worker@line4");
  EXPECT_FALSE(t->Find("sha256:" + TokenDigestHex("w0rker")).has_value());
  EXPECT_FALSE(t->Find("s3cre").has_value());
  EXPECT_FALSE(t->Find("").has_value());
}

TEST(TokenTable, ErrorsNameTheLineAndNeverTheToken) {
  auto bad = TokenTable::Parse("admin ok\nroot t0psecret\n", "f");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("f:2:"), std::string::npos) << bad.status();
  EXPECT_EQ(bad.status().message().find("t0psecret"), std::string::npos) << bad.status();
  EXPECT_FALSE(TokenTable::Parse("view sha256:abc\n", "f").ok());
  EXPECT_FALSE(TokenTable::Parse("# none\n", "f").ok());
}

TEST(Authorizer, RolesAndTheOwnerRule) {
  const std::string path = TempFile("roles", "admin a root\nsubmit s alice\nview v\nworker w\n");
  auto auth = Authorizer::Open(WithTokens(path));
  ASSERT_TRUE(auth.ok()) << auth.status();
  Caller c;
  EXPECT_EQ((*auth)->AuthorizeFacts(Bearer("v"), Role::kSubmit, "SubmitSweep", &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ((*auth)->AuthorizeFacts(Bearer("w"), Role::kView, "GetSweep", &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ((*auth)->AuthorizeFacts({"s", false, ""}, Role::kView, "GetSweep", &c).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // No "Bearer ".
  ASSERT_TRUE((*auth)->AuthorizeFacts(Bearer("s"), Role::kView, "GetSweep", &c).ok());
  EXPECT_EQ(c.name, "alice");
  EXPECT_TRUE((*auth)->CheckOwner(c, "alice", "CancelSweep", "s-1", "p").ok());
  EXPECT_EQ((*auth)->CheckOwner(c, "bob", "CancelSweep", "s-1", "p").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE((*auth)->AuthorizeFacts(Bearer("a"), Role::kWorker, "Session", &c).ok());
  EXPECT_TRUE((*auth)->CheckOwner(c, "bob", "CancelSweep", "s-1", "p").ok());
  EXPECT_EQ((*auth)->refused_calls(), 4);
}

TEST(Authorizer, WorkerCallsNeedAVerifiedCertificateUnderMutualTls) {
  const std::string path = TempFile("mtls", "worker w\nadmin a\n");
  auto auth = Authorizer::Open(WithTokens(path, &RealClock(), true));
  ASSERT_TRUE(auth.ok());
  Caller c;
  EXPECT_EQ((*auth)->AuthorizeFacts(Bearer("w"), Role::kWorker, "Session", &c).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE((*auth)->AuthorizeFacts({"Bearer w", true, ""}, Role::kWorker, "Session", &c).ok());
  // Users need no certificate.
  EXPECT_TRUE((*auth)->AuthorizeFacts(Bearer("a"), Role::kView, "GetSweep", &c).ok());
}

TEST(Authorizer, TokensRotateWithoutARestartAndABadFileKeepsTheOldOnes) {
  FakeClock clock;
  const std::string path = TempFile("rotate", "submit old-t0ken alice\n");
  auto auth = Authorizer::Open(WithTokens(path, &clock));
  ASSERT_TRUE(auth.ok());
  Caller c;
  const auto code = [&](const std::string& token) {
    return (*auth)->AuthorizeFacts(Bearer(token), Role::kSubmit, "SubmitSweep", &c).error_code();
  };
  EXPECT_EQ(code("old-t0ken"), grpc::StatusCode::OK);
  TempFile("rotate", "submit sha256:" + TokenDigestHex("new-t0ken") + " alice\n");
  // Checked at most once a second of the injected clock.
  EXPECT_EQ(code("old-t0ken"), grpc::StatusCode::OK);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(code("new-t0ken"), grpc::StatusCode::OK);
  EXPECT_EQ(c.name, "alice");
  EXPECT_EQ(code("old-t0ken"), grpc::StatusCode::UNAUTHENTICATED);
  TempFile("rotate", "this line is not a token line\n");
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(code("new-t0ken"), grpc::StatusCode::OK);  // Kept.
  TempFile("rotate", "submit third alice\n");
  EXPECT_TRUE((*auth)->Reload().ok());  // SIGHUP: at once, whatever the clock.
  EXPECT_EQ(code("third"), grpc::StatusCode::OK);
  EXPECT_EQ(code("new-t0ken"), grpc::StatusCode::UNAUTHENTICATED);
}

TEST(Authorizer, WithoutATokensFileEverythingIsAllowedAsLocal) {
  Authorizer open;
  Caller c;
  EXPECT_TRUE(open.AuthorizeFacts({}, Role::kAdmin, "DeleteSweep", &c).ok());
  EXPECT_EQ(c.name, "local");
  EXPECT_FALSE(open.enabled());
}

TEST(ListenPolicy, LoopbackIsFreeEverywhereElseNeedsTlsAndTokensOrInsecure) {
  for (const char* a :
       {"127.0.0.1:7070", "127.3.2.1:0", "localhost:1", "[::1]:7070", "unix:/tmp/augur.sock"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
    EXPECT_EQ(*CheckListenPolicy(a, {}), "") << a;
  }
  for (const char* a : {"0.0.0.0:7070", "[::]:7070", "10.0.0.1:7070", "head:7070",
                        "127.example.com:1", "127.0.0.1.nip.io:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
    auto refused = CheckListenPolicy(a, Security(true, false, false));
    ASSERT_FALSE(refused.ok()) << a;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("tokens (--tokens-file)"), std::string::npos);
    EXPECT_EQ(*CheckListenPolicy(a, Security(true, true, false)), "");
    auto warned = CheckListenPolicy(a, Security(false, true, true));
    ASSERT_TRUE(warned.ok());
    EXPECT_NE(warned->find("INSECURE"), std::string::npos);
  }
}

}  // namespace
}  // namespace augur
