#include "worker/trial_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace augur {
namespace {

// Reads until EOF or EAGAIN; returns false at EOF.
bool Drain(int fd, std::string* out) {
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

}  // namespace

std::string ProcessExit::Describe() const {
  if (exited) return absl::StrCat("exit ", code);
  return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
}

absl::StatusOr<std::unique_ptr<TrialProcess>> TrialProcess::Start(
    const TrialProcessOptions& options, LineCallback on_line) {
  if (options.binary.empty()) return absl::InvalidArgumentError("no trial binary given");
  // Everything the child needs is built before fork: after fork in a threaded process only
  // async-signal-safe calls are allowed until exec.
  std::vector<std::string> argv_store = {options.binary};
  argv_store.insert(argv_store.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  // An entry of options.env replaces an inherited one of the same name (a duplicate would be
  // read or ignored depending on the reader).
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::set<std::string> overridden;
  for (const std::string& e : options.env) overridden.insert(name_of(e));
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    if (overridden.count(name_of(*e)) == 0) env_store.emplace_back(*e);
  }
  env_store.insert(env_store.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(exec_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) return absl::ResourceExhaustedError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    // The worker blocks SIGINT and SIGTERM in its threads to wait for them in one
    // (common/signals.h), and a blocked mask survives exec: the trainer would never hear the
    // SIGTERM that asks it to checkpoint and stop, and ran on to the end.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvpe(argv[0], argv.data(), envp.data());
    const int err = errno;
    ssize_t ignored = write(exec_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // Also from the parent, so the group exists before any kill.
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(exec_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(exec_pipe[0]);
  if (n == sizeof(child_errno)) {
    waitpid(pid, nullptr, 0);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return absl::NotFoundError(
        absl::StrCat("cannot run ", options.binary, ": ", strerror(child_errno)));
  }
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  return std::unique_ptr<TrialProcess>(new TrialProcess(
      pid, out_pipe[0], err_pipe[0], options.stderr_tail_bytes, std::move(on_line)));
}

TrialProcess::TrialProcess(pid_t pid, int stdout_fd, int stderr_fd, size_t tail_bytes,
                           LineCallback cb)
    : pid_(pid),
      tail_bytes_(tail_bytes),
      on_line_(std::move(cb)),
      stdout_fd_(stdout_fd),
      stderr_fd_(stderr_fd) {
  reader_ = std::thread([this] { ReadLoop(); });
}

TrialProcess::~TrialProcess() {
  {
    absl::MutexLock lock(&mu_);
    if (!done_) kill(-pid_, SIGKILL);
  }
  if (reader_.joinable()) reader_.join();
  if (killer_.joinable()) killer_.join();
}

void TrialProcess::ReadLoop() {
  std::string pending, tail;
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    if (!out_open) fds[0].fd = -1;
    if (!err_open) fds[1].fd = -1;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (out_open && fds[0].revents != 0) {
      out_open = Drain(stdout_fd_, &pending);
      size_t start = 0, nl;
      while ((nl = pending.find('\n', start)) != std::string::npos) {
        if (on_line_) on_line_(pending.substr(start, nl - start));
        start = nl + 1;
      }
      pending.erase(0, start);
    }
    if (err_open && fds[1].revents != 0) {
      err_open = Drain(stderr_fd_, &tail);
      if (tail.size() > tail_bytes_) tail.erase(0, tail.size() - tail_bytes_);
    }
  }
  if (!pending.empty() && on_line_) on_line_(pending);  // A last line without a newline.
  close(stdout_fd_);
  close(stderr_fd_);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  absl::MutexLock lock(&mu_);
  exit_.exited = WIFEXITED(status);
  exit_.code = exit_.exited ? WEXITSTATUS(status) : 0;
  exit_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  exit_.stderr_tail = std::move(tail);
  done_ = true;
}

void TrialProcess::Terminate(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  if (done_ || terminating_) return;
  terminating_ = true;
  kill(-pid_, SIGTERM);
  killer_ = std::thread([this, grace] {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return done_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), grace)) kill(-pid_, SIGKILL);
  });
}

void TrialProcess::Kill() {
  absl::MutexLock lock(&mu_);
  if (!done_) kill(-pid_, SIGKILL);
}

ProcessExit TrialProcess::Wait() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&done_));
  return exit_;
}

absl::StatusOr<ProcessExit> TrialProcess::WaitFor(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(&done_), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("trial process ", pid_, " still running"));
  }
  return exit_;
}

}  // namespace augur
