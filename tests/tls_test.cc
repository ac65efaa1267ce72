// TLS and secure-by-default with the real binaries (issue 17): certificates from `augur certs`,
// a handshake against the wrong CA refused, mutual TLS required of workers, and a scheduler
// that refuses to serve off loopback without TLS and tokens unless told --insecure, which it
// then announces at start and to `augur workers`; renewed certificates used without a restart.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/client_auth.h"
#include "gtest/gtest.h"
#include "tests/harness.h"

namespace augur::testing {
namespace {

struct Ran {
  int code = -1;
  std::string out, err;
};

// Runs a command line to its end (for `augur certs` and a scheduler that must refuse to start).
Ran Shell(const std::string& command) {
  const TempDir tmp("tls-run");  // Its output, read below; removed on return.
  const std::string& base = tmp.path();
  const int status =
      std::system(absl::StrCat(command, " > ", base, "/out 2> ", base, "/err").c_str());
  Ran r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream out, err;
  out << std::ifstream(base + "/out").rdbuf();
  err << std::ifstream(base + "/err").rdbuf();
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::string MakeCerts(const std::string& dir) {
  const Ran r = Shell(absl::StrCat(AUGUR_BINARY, " certs ", dir, " --host 127.0.0.1"));
  EXPECT_EQ(r.code, 0) << r.err;
  return dir;
}

TlsClientFiles Trust(const std::string& ca_file) {
  TlsClientFiles files;
  files.ca_file = ca_file;
  return files;
}

// `trust` presenting the worker certificate that `augur certs` made in `certs`.
TlsClientFiles WithWorkerCert(TlsClientFiles trust, const std::string& certs) {
  trust.cert_file = certs + "/worker.crt";
  trust.key_file = certs + "/worker.key";
  return trust;
}

grpc::Status ListSweeps(const std::string& address, const ClientSecurity& security) {
  auto channel = SchedulerChannel(address, security);
  if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no channel");
  auto stub = v1::SweepService::NewStub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListSweepsResponse resp;
  return stub->ListSweeps(&ctx, {}, &resp);
}

grpc::Status Register(const std::string& address, const ClientSecurity& security) {
  auto channel = SchedulerChannel(address, security);
  if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no channel");
  auto stub = v1::WorkerService::NewStub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::RegisterWorkerRequest req;
  req.set_worker_id("tls-test");
  req.set_cpu_slots(1);
  v1::RegisterWorkerResponse resp;
  return stub->RegisterWorker(&ctx, req, &resp);
}

TEST(Tls, WrongCaAndPlainTextAreRefusedAndWorkersNeedTheirCertificate) {
  const TempDir tmp("tls");
  const std::string& dir = tmp.path();
  const std::string ours = MakeCerts(dir + "/ours");
  const std::string other = MakeCerts(dir + "/other");
  std::ofstream(dir + "/tokens") << "submit us3r alice\nworker w0rker nodes\n";
  std::string address;
  auto scheduler =
      StartScheduler(dir + "/augur.db", &address,
                     {"--tls-cert", ours + "/scheduler.crt", "--tls-key", ours + "/scheduler.key",
                      "--tls-client-ca", ours + "/ca.crt", "--tokens-file", dir + "/tokens"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();

  TlsClientFiles right = Trust(ours + "/ca.crt");
  EXPECT_TRUE(ListSweeps(address, {"us3r", right}).ok());
  EXPECT_EQ(ListSweeps(address, {"wrong", right}).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A client that trusts another CA does not finish the handshake: nothing is sent.
  const grpc::Status wrong_ca = ListSweeps(address, {"us3r", Trust(other + "/ca.crt")});
  EXPECT_EQ(wrong_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << wrong_ca.error_message();
  EXPECT_EQ(ListSweeps(address, {"us3r", {}}).error_code(), grpc::StatusCode::UNAVAILABLE);

  // Mutual TLS: a worker token alone is not enough; a certificate from another CA does not
  // get through the handshake; ours does.
  EXPECT_EQ(Register(address, {"w0rker", right}).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(Register(address, {"w0rker", WithWorkerCert(right, other)}).error_code(),
            grpc::StatusCode::OK);
  const grpc::Status registered = Register(address, {"w0rker", WithWorkerCert(right, ours)});
  EXPECT_TRUE(registered.ok()) << registered.error_message();

  // The augur CLI with the same files.
  Ran r = Shell(absl::StrCat(AUGUR_BINARY, " ls --scheduler ", address, " --token us3r --tls-ca ",
                             ours, "/ca.crt"));
  EXPECT_EQ(r.code, 0) << r.err;
  r = Shell(absl::StrCat(AUGUR_BINARY, " ls --scheduler ", address, " --token us3r --tls-ca ",
                         other, "/ca.crt"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "did its certificate verify against --tls-ca")) << r.err;
}

// Renewal without a restart: the scheduler re-reads its certificate, key and client CA
// (--tls-reload-seconds), so once new files from another CA are renamed into place, a client
// that trusts only the new CA gets through, one that trusts only the old CA no longer does, and
// a worker certificate of the new CA is accepted.
TEST(Tls, RenewedCertificatesTakeEffectWithoutARestart) {
  const TempDir tmp("tls-reload");
  const std::string& dir = tmp.path();
  const std::string old_ca = MakeCerts(dir + "/old");
  const std::string new_ca = MakeCerts(dir + "/new");
  const std::string live = dir + "/live";
  std::filesystem::create_directories(live);
  // As a renewal should: each file written beside its place, then renamed over it, key first.
  const auto install = [&live](const std::string& from) {
    for (const char* name : {"scheduler.key", "scheduler.crt", "ca.crt"}) {
      std::filesystem::copy_file(from + "/" + name, live + "/" + name + ".new",
                                 std::filesystem::copy_options::overwrite_existing);
      std::filesystem::rename(live + "/" + name + ".new", live + "/" + name);
    }
  };
  install(old_ca);
  std::ofstream(dir + "/tokens") << "submit us3r alice\nworker w0rker nodes\n";
  std::string address;
  auto scheduler = StartScheduler(dir + "/augur.db", &address,
                                  {"--tls-cert", live + "/scheduler.crt", "--tls-key",
                                   live + "/scheduler.key", "--tls-client-ca", live + "/ca.crt",
                                   "--tokens-file", dir + "/tokens", "--tls-reload-seconds", "1"});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  const TlsClientFiles trusts_old = Trust(old_ca + "/ca.crt");
  const TlsClientFiles trusts_new = Trust(new_ca + "/ca.crt");
  ASSERT_TRUE(ListSweeps(address, {"us3r", trusts_old}).ok());
  ASSERT_EQ(ListSweeps(address, {"us3r", trusts_new}).error_code(), grpc::StatusCode::UNAVAILABLE);

  install(new_ca);
  // The watcher looks every second: poll for the new certificate, within a bound.
  const absl::Time renewed = absl::Now();
  grpc::Status with_new;
  while (!(with_new = ListSweeps(address, {"us3r", trusts_new})).ok() &&
         absl::Now() - renewed < absl::Seconds(30)) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(with_new.ok()) << with_new.error_message();
  std::cout << "new certificate served " << absl::Now() - renewed << " after the rename\n";
  EXPECT_EQ(ListSweeps(address, {"us3r", trusts_old}).error_code(), grpc::StatusCode::UNAVAILABLE);
  const grpc::Status registered = Register(address, {"w0rker", WithWorkerCert(trusts_new, new_ca)});
  EXPECT_TRUE(registered.ok()) << registered.error_message();
  EXPECT_NE(Register(address, {"w0rker", WithWorkerCert(trusts_new, old_ca)}).error_code(),
            grpc::StatusCode::OK);
}

TEST(Tls, OffLoopbackTheSchedulerNeedsTlsAndTokensOrSaysInsecure) {
  const TempDir tmp("secure-default");
  const std::string& dir = tmp.path();
  const std::string certs = MakeCerts(dir + "/certs");
  std::ofstream(dir + "/tokens") << "admin adm1n root\n";
  const std::string scheduler = FindBinaries().scheduler;
  const std::string tls =
      absl::StrCat(" --tls-cert ", certs, "/scheduler.crt --tls-key ", certs, "/scheduler.key");
  for (const std::string& missing : {std::string(""), tls, " --tokens-file " + dir + "/tokens"}) {
    const Ran r =
        Shell(absl::StrCat(scheduler, " --listen 0.0.0.0:0 --db ", dir, "/a.db", missing));
    EXPECT_EQ(r.code, 1) << missing;
    EXPECT_TRUE(absl::StrContains(r.err, "refusing to serve on 0.0.0.0:0 without")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // The dashboard's address obeys the same rule: a loopback gRPC port does not make an open
  // dashboard safe.
  const Ran web = Shell(
      absl::StrCat(scheduler, " --listen 127.0.0.1:0 --dashboard 0.0.0.0:0 --db ", dir, "/w.db"));
  EXPECT_EQ(web.code, 1) << web.err;
  EXPECT_TRUE(absl::StrContains(web.err, "dashboard: refusing to serve on 0.0.0.0:0 without"))
      << web.err;
  // Both given: it serves.
  std::string address = "0.0.0.0:0";
  auto secure = StartScheduler(dir + "/b.db", &address,
                               {"--tls-cert", certs + "/scheduler.crt", "--tls-key",
                                certs + "/scheduler.key", "--tokens-file", dir + "/tokens"});
  ASSERT_TRUE(secure.ok()) << secure.status();

  // --insecure: it serves, says so in its log and to every `augur workers`.
  address = "0.0.0.0:0";
  auto open = StartScheduler(dir + "/c.db", &address, {"--insecure"});
  ASSERT_TRUE(open.ok()) << open.status();
  const std::string port = address.substr(address.rfind(':') + 1);
  const Ran r = Shell(absl::StrCat(AUGUR_BINARY, " workers --scheduler 127.0.0.1:", port));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "warning: INSECURE: the scheduler serves 0.0.0.0:0 without"))
      << r.err;
  auto exit = (*open)->Terminate(absl::Seconds(10));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(absl::StrContains(exit->stderr_tail, "WARNING augur-scheduler insecure_listener"))
      << exit->stderr_tail;
}

}  // namespace
}  // namespace augur::testing
