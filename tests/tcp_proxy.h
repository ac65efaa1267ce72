// A TCP forwarder on 127.0.0.1 for the multi-process tests: a worker connects through it to the
// scheduler, and the test cuts the network (every connection reset, new ones refused) and
// heals it again, as a broken switch or a partition would.
#ifndef AUGUR_TESTS_TCP_PROXY_H_
#define AUGUR_TESTS_TCP_PROXY_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace augur::testing {

class TcpProxy {
 public:
  // Listens on a free port of 127.0.0.1 and forwards to `target` ("127.0.0.1:PORT").
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(const std::string& target);
  ~TcpProxy();

  const std::string& address() const { return address_; }
  // Resets every forwarded connection and refuses (resets) new ones until Heal().
  void Cut();
  void Heal();

 private:
  TcpProxy() = default;
  void AcceptLoop();
  void Pump(int from, int to);

  std::string address_;
  int target_port_ = 0;
  int listen_fd_ = -1;
  std::thread acceptor_;
  absl::Mutex mu_;
  bool cut_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);  // Open connections, both sides.
  std::vector<std::thread> pumps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur::testing

#endif  // AUGUR_TESTS_TCP_PROXY_H_
