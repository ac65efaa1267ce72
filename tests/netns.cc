#include "tests/netns.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace augur::testing {
namespace {

std::string FindIp() {
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

// Runs `ip ARGS` quietly; its exit status.
int Ip(const std::string& ip, const std::string& args) {
  return std::system(absl::StrCat(ip, " ", args, " >/dev/null 2>&1").c_str());
}

}  // namespace

std::string NetnsCluster::WhyUnavailable() {
  if (geteuid() != 0)
    return "network namespaces need root (CAP_NET_ADMIN); this test runs as a user";
  const std::string ip = FindIp();
  if (ip.empty()) return "the `ip` tool (Debian package iproute2) is not installed";
  const std::string probe = absl::StrCat("agprobe", getpid() % 100000);
  if (Ip(ip, "netns add " + probe) != 0) {
    return "`ip netns add` is refused here (an unprivileged container?)";
  }
  const int veth =
      Ip(ip, absl::StrCat("-n ", probe, " link add ", probe, "a type veth peer name ", probe, "b"));
  Ip(ip, "netns del " + probe);
  if (veth != 0) return "veth pairs cannot be made here";
  return "";
}

absl::StatusOr<std::unique_ptr<NetnsCluster>> NetnsCluster::Create(int workers) {
  std::unique_ptr<NetnsCluster> c(new NetnsCluster());
  c->ip_ = FindIp();
  c->workers_ = workers;
  const int id = getpid() % 100000;
  c->prefix_ = absl::StrCat("ag", id);
  // A /24 no real network here is likely to use; the test's own end is .254.
  c->subnet_ = absl::StrCat("10.217.", id % 250, ".");
  c->TearDown();
  const std::string sw = c->prefix_ + "-sw";
  std::vector<std::string> steps = {
      "netns add " + sw,
      absl::StrCat("-n ", sw, " link add ", c->prefix_, "br type bridge"),
      absl::StrCat("-n ", sw, " link set ", c->prefix_, "br up"),
  };
  std::vector<std::string> hosts = {"scheduler"};
  for (int i = 1; i <= workers; ++i) hosts.push_back(absl::StrCat("worker", i));
  for (const std::string& h : hosts) {
    const std::string ns = c->Namespace(h), port = c->Port(h), inside = port + "h";
    steps.push_back("netns add " + ns);
    steps.push_back(absl::StrCat("-n ", sw, " link add ", port, " type veth peer name ", inside));
    steps.push_back(absl::StrCat("-n ", sw, " link set ", inside, " netns ", ns));
    steps.push_back(absl::StrCat("-n ", sw, " link set ", port, " master ", c->prefix_, "br up"));
    steps.push_back(absl::StrCat("-n ", ns, " addr add ", c->Address(h), "/24 dev ", inside));
    steps.push_back(absl::StrCat("-n ", ns, " link set ", inside, " up"));
    steps.push_back(absl::StrCat("-n ", ns, " link set lo up"));
  }
  // The test's own namespace: one more port, the other end here.
  const std::string port = c->prefix_ + "tb", here = c->prefix_ + "t";
  steps.push_back(absl::StrCat("-n ", sw, " link add ", port, " type veth peer name ", here));
  steps.push_back(absl::StrCat("-n ", sw, " link set ", here, " netns ", getpid()));
  steps.push_back(absl::StrCat("-n ", sw, " link set ", port, " master ", c->prefix_, "br up"));
  steps.push_back(absl::StrCat("addr add ", c->subnet_, "254/24 dev ", here));
  steps.push_back(absl::StrCat("link set ", here, " up"));
  for (const std::string& s : steps) {
    if (Ip(c->ip_, s) != 0) return absl::InternalError(absl::StrCat("ip ", s, " failed"));
  }
  return c;
}

NetnsCluster::~NetnsCluster() { TearDown(); }

void NetnsCluster::TearDown() {
  // Deleting a namespace deletes the veth ends in it, and with them their peers.
  Ip(ip_, absl::StrCat("link del ", prefix_, "t"));
  Ip(ip_, absl::StrCat("netns del ", prefix_, "-sw"));
  Ip(ip_, absl::StrCat("netns del ", Namespace("scheduler")));
  for (int i = 1; i <= workers_; ++i) Ip(ip_, "netns del " + Namespace(absl::StrCat("worker", i)));
}

int NetnsCluster::Index(const std::string& host) const {
  return host == "scheduler" ? 1 : 10 + std::atoi(host.c_str() + 6);
}

std::string NetnsCluster::Namespace(const std::string& host) const {
  return host == "scheduler" ? prefix_ + "-s" : absl::StrCat(prefix_, "-w", Index(host) - 10);
}

std::string NetnsCluster::Port(const std::string& host) const {
  return absl::StrCat(prefix_, "p", Index(host));
}

std::string NetnsCluster::Address(const std::string& host) const {
  return absl::StrCat(subnet_, Index(host));
}

std::vector<std::string> NetnsCluster::On(const std::string& host, const std::string& binary,
                                          const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"netns", "exec", Namespace(host), binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

absl::Status NetnsCluster::Cut(const std::string& host) {
  if (Ip(ip_, absl::StrCat("-n ", prefix_, "-sw link set ", Port(host), " down")) != 0) {
    return absl::InternalError("cannot take the port of " + host + " down");
  }
  return absl::OkStatus();
}

absl::Status NetnsCluster::Heal(const std::string& host) {
  if (Ip(ip_, absl::StrCat("-n ", prefix_, "-sw link set ", Port(host), " up")) != 0) {
    return absl::InternalError("cannot bring the port of " + host + " up");
  }
  return absl::OkStatus();
}

}  // namespace augur::testing
