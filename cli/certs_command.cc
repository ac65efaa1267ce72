// `augur certs` and `augur token`: what an operator needs to turn on TLS and tokens in one step
// (docs/cluster.md, "Security"). `certs` drives the openssl command-line tool (Debian package
// openssl) with the recipe written out in docs/cluster.md, so that the files can be remade or
// audited without Augur; `token` makes a random bearer token and its hashed tokens-file line.
#include <arpa/inet.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/remote_commands.h"
#include "common/text.h"
#include "scheduler/token_table.h"

extern char** environ;

namespace augur::cli {
namespace {

namespace fs = std::filesystem;

// Runs `args` (args[0] from PATH) with output to `log`; the log's last line on failure.
absl::Status RunTool(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    return absl::FailedPreconditionError(
        Cat("cannot run ", args[0], " (install the openssl package)"));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return absl::InternalError(Cat(absl::StrJoin(args, " ").substr(0, 120), " failed: ", last));
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

class CertsCommand : public Command {
 public:
  std::string name() const override { return "certs"; }
  std::string args_usage() const override { return "DIR"; }
  std::string summary() const override { return "Make a private CA and TLS certificates"; }
  std::string description() const override {
    return "Makes, in DIR (created if missing), a private certificate authority and the files\n"
           "a small cluster needs for TLS: ca.crt (give it to every client as --tls-ca),\n"
           "scheduler.crt and scheduler.key (augur-scheduler --tls-cert/--tls-key; valid for\n"
           "localhost, 127.0.0.1 and every --host), worker.crt and worker.key (augur-worker\n"
           "--tls-cert/--tls-key, for mutual TLS: augur-scheduler --tls-client-ca DIR/ca.crt).\n"
           "Keys are ECDSA P-256, mode 0600. ca.key signs more certificates: keep it offline.\n"
           "Existing files are never overwritten. Needs the openssl tool; the same recipe by hand\n"
           "is in docs/cluster.md.\n";
  }
  std::string examples() const override {
    return "augur certs /etc/augur/tls --host head.example.org --host 10.0.0.5\n"
           "augur certs ./tls --days 90\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddString("host", "NAME",
                    "a name or IP the scheduler is reached by (comma-separated for several)",
                    &hosts_);
    flags.AddInt("days", "N", "validity of the certificates", &days_);
  }
  absl::Status Run(Invocation& inv) override {
    if (inv.args().size() != 1) return UsageError("expected one directory");
    if (days_ < 1) return UsageError("--days must be at least 1");
    const fs::path dir = inv.args()[0];
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      return absl::FailedPreconditionError(Cat("cannot create ", dir.string(), ": ", ec.message()));
    for (const char* f :
         {"ca.key", "ca.crt", "scheduler.key", "scheduler.crt", "worker.key", "worker.crt"}) {
      if (fs::exists(dir / f)) {
        return absl::AlreadyExistsError(
            Cat((dir / f).string(), " exists; remove it or choose another directory"));
      }
    }
    std::vector<std::string> san = {"DNS:localhost", "IP:127.0.0.1"};
    for (absl::string_view h : absl::StrSplit(hosts_, ',', absl::SkipEmpty())) {
      const std::string host(h);
      san.push_back(Cat(IsIpAddress(host) ? "IP:" : "DNS:", host));
    }
    const std::string log = (dir / "openssl.log").string();
    const std::string days = Cat(days_);
    const auto p = [&](const char* f) { return (dir / f).string(); };
    const mode_t old_umask = umask(077);  // Keys are made 0600; certificates opened below.
    const std::vector<std::string> ec_key = {"-newkey", "ec", "-pkeyopt",
                                             "ec_paramgen_curve:prime256v1", "-nodes"};
    std::vector<std::string> ca = {"openssl", "req", "-x509"};
    ca.insert(ca.end(), ec_key.begin(), ec_key.end());
    ca.insert(ca.end(), {"-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", days, "-subj",
                         "/CN=Augur cluster CA", "-addext", "basicConstraints=critical,CA:TRUE",
                         "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    if (absl::Status s = RunTool(ca, log); !s.ok()) return s;
    struct Leaf {
      const char* name;
      std::string cn, ext;
    };
    const Leaf leaves[] = {
        {"scheduler", "augur-scheduler",
         Cat("subjectAltName=", absl::StrJoin(san, ","), "\nextendedKeyUsage=serverAuth\n")},
        {"worker", "augur-worker", "extendedKeyUsage=clientAuth\n"}};
    for (const Leaf& leaf : leaves) {
      const std::string key = p(Cat(leaf.name, ".key").c_str());
      const std::string csr = p(Cat(leaf.name, ".csr").c_str());
      const std::string ext = p(Cat(leaf.name, ".ext").c_str());
      std::ofstream(ext) << "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                         << leaf.ext;
      std::vector<std::string> req = {"openssl", "req", "-new"};
      req.insert(req.end(), ec_key.begin(), ec_key.end());
      req.insert(req.end(), {"-keyout", key, "-out", csr, "-subj", Cat("/CN=", leaf.cn)});
      if (absl::Status s = RunTool(req, log); !s.ok()) return s;
      unsigned char serial[16];
      std::ifstream("/dev/urandom", std::ios::binary).read(reinterpret_cast<char*>(serial), 16);
      serial[0] &= 0x7f;  // A positive serial.
      const std::string hex = absl::BytesToHexString(
          absl::string_view(reinterpret_cast<const char*>(serial), sizeof serial));
      if (absl::Status s =
              RunTool({"openssl", "x509", "-req", "-in", csr, "-CA", p("ca.crt"), "-CAkey",
                       p("ca.key"), "-set_serial", Cat("0x", hex), "-days", days, "-extfile", ext,
                       "-out", p(Cat(leaf.name, ".crt").c_str())},
                      log);
          !s.ok()) {
        return s;
      }
      fs::remove(csr);
      fs::remove(ext);
    }
    fs::remove(log);
    umask(old_umask);
    for (const char* f : {"ca.crt", "scheduler.crt", "worker.crt"}) {
      fs::permissions(dir / f, fs::perms::owner_read | fs::perms::owner_write |
                                   fs::perms::group_read | fs::perms::others_read);
    }
    inv.out() << "made in " << dir.string() << ": ca.crt ca.key scheduler.crt scheduler.key "
              << "worker.crt worker.key (scheduler valid for " << absl::StrJoin(san, ", ") << ")\n"
              << "scheduler: --tls-cert " << p("scheduler.crt") << " --tls-key "
              << p("scheduler.key") << " [--tls-client-ca " << p("ca.crt") << "]\n"
              << "clients:   --tls-ca " << p("ca.crt") << " (workers also --tls-cert "
              << p("worker.crt") << " --tls-key " << p("worker.key") << ")\n";
    return absl::OkStatus();
  }

 private:
  std::string hosts_;
  int64_t days_ = 825;
};

class TokenCommand : public Command {
 public:
  std::string name() const override { return "token"; }
  std::string summary() const override { return "Make a bearer token and its tokens-file line"; }
  std::string description() const override {
    return "Prints a new random bearer token (256 bits, hex) on the first line, and on the\n"
           "second the line to append to the scheduler's tokens file, which holds only the\n"
           "token's SHA-256. Give the token to its user (augur --token-file F, or\n"
           "$AUGUR_TOKEN) or worker (augur-worker --token-file F). The scheduler picks the new\n"
           "line up within a second, without a restart; delete a line to revoke its token.\n";
  }
  std::string examples() const override {
    return "augur token --role submit --name alice\n"
           "augur token --role worker --name gpu-nodes | tail -1 >> /etc/augur/tokens\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddChoice("role", {"view", "submit", "worker", "admin"}, "the token's role", &role_);
    flags.AddString("name", "NAME", "who the token stands for (logs, sweep owner)", &name_);
  }
  absl::Status Run(Invocation& inv) override {
    if (!inv.args().empty()) return UsageError("expected no arguments");
    if (name_.find_first_of(" \t#") != std::string::npos || name_.empty()) {
      return UsageError("--name must be one word");
    }
    unsigned char bytes[32];
    std::ifstream urandom("/dev/urandom", std::ios::binary);
    if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
      return absl::InternalError("cannot read /dev/urandom");
    }
    const std::string token = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
    inv.out() << token << "\n"
              << role_ << " sha256:" << TokenDigestHex(token) << " " << name_ << "\n";
    return absl::OkStatus();
  }

 private:
  std::string role_ = "submit";
  std::string name_ = "user";
};

}  // namespace

std::unique_ptr<Command> MakeCertsCommand() { return std::make_unique<CertsCommand>(); }
std::unique_ptr<Command> MakeTokenCommand() { return std::make_unique<TokenCommand>(); }

}  // namespace augur::cli
