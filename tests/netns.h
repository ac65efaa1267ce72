// A small cluster of network hosts on one machine, for the multi-host tests (issue 17): a
// scheduler host and N worker hosts, each a Linux network namespace with one address, joined
// by veth pairs to a bridge in a "switch" namespace of its own; the test process is joined too
// (the operator's host), so it can call the scheduler across the same network. Cutting a host
// off takes its switch port down. Needs root (CAP_NET_ADMIN) and the `ip` tool; everything is
// removed when the object is destroyed, and leftovers of a crashed run of the same pid first.
#ifndef AUGUR_TESTS_NETNS_H_
#define AUGUR_TESTS_NETNS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace augur::testing {

class NetnsCluster {
 public:
  // Why namespaces cannot be made here ("" when they can): not root, no `ip`, or `ip netns
  // add` refused (as in an unprivileged container). Tries once and cleans up.
  static std::string WhyUnavailable();

  static absl::StatusOr<std::unique_ptr<NetnsCluster>> Create(int workers);
  ~NetnsCluster();

  // Host names: "scheduler", "worker1".."workerN".
  std::string Address(const std::string& host) const;  // Its IPv4 address.
  // The argv that runs `binary args...` on `host` (for Proc::Start: argv[0] is `ip`).
  std::string ip_binary() const { return ip_; }
  std::vector<std::string> On(const std::string& host, const std::string& binary,
                              const std::vector<std::string>& args) const;
  // Takes the host's switch port down (packets to and from it are dropped) or up again.
  absl::Status Cut(const std::string& host);
  absl::Status Heal(const std::string& host);

 private:
  NetnsCluster() = default;
  std::string Namespace(const std::string& host) const;
  std::string Port(const std::string& host) const;  // Its veth end on the bridge.
  int Index(const std::string& host) const;         // 1 scheduler, 10 + i worker i.
  void TearDown();

  std::string ip_, prefix_, subnet_;
  int workers_ = 0;
};

}  // namespace augur::testing

#endif  // AUGUR_TESTS_NETNS_H_
