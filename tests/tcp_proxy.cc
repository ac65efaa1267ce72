#include "tests/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace augur::testing {
namespace {

// Closes with an RST (SO_LINGER 0), as a peer that vanished would look.
void Reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  shutdown(fd, SHUT_RDWR);
}

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(const std::string& target) {
  auto proxy = std::unique_ptr<TcpProxy>(new TcpProxy());
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(target.substr(colon + 1), &proxy->target_port_)) {
    return absl::InvalidArgumentError(absl::StrCat("bad target ", target));
  }
  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(0);
  socklen_t len = sizeof(a);
  if (bind(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      listen(proxy->listen_fd_, 64) != 0 ||
      getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return absl::UnavailableError("cannot listen on 127.0.0.1");
  }
  proxy->address_ = absl::StrCat("127.0.0.1:", ntohs(a.sin_port));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

TcpProxy::~TcpProxy() {
  std::vector<std::thread> pumps;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (int fd : fds_) Reset(fd);
    pumps.swap(pumps_);
  }
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  for (auto& t : pumps) t.join();
  close(listen_fd_);
  absl::MutexLock lock(&mu_);
  for (int fd : fds_) close(fd);
}

void TcpProxy::Cut() {
  absl::MutexLock lock(&mu_);
  cut_ = true;
  for (int fd : fds_) Reset(fd);
}

void TcpProxy::Heal() {
  absl::MutexLock lock(&mu_);
  cut_ = false;
}

void TcpProxy::AcceptLoop() {
  while (true) {
    const int client = accept(listen_fd_, nullptr, nullptr);
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      if (client >= 0) close(client);
      return;
    }
    if (client < 0) continue;
    if (cut_) {
      Reset(client);
      close(client);
      continue;
    }
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = Loopback(target_port_);
    if (connect(server, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      Reset(client);
      close(client);
      close(server);
      continue;
    }
    fds_.push_back(client);
    fds_.push_back(server);
    pumps_.emplace_back([this, client, server] { Pump(client, server); });
    pumps_.emplace_back([this, client, server] { Pump(server, client); });
  }
}

void TcpProxy::Pump(int from, int to) {
  char buf[16384];
  while (true) {
    const ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      const ssize_t w = send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) break;
      off += w;
    }
    if (off < n) break;
  }
  shutdown(to, SHUT_WR);
  shutdown(from, SHUT_RD);
}

}  // namespace augur::testing
