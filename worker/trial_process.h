// A trial runs in a child process (augur-train), so a crash or out-of-memory kill ends that
// trial, not the worker daemon. The child writes one machine-readable line per event to its
// stdout; this class reads them on its own thread and hands each to a callback. Its stderr is
// kept as a bounded tail for error reports.
#ifndef AUGUR_WORKER_TRIAL_PROCESS_H_
#define AUGUR_WORKER_TRIAL_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace augur {

struct TrialProcessOptions {
  std::string binary;               // Path of the program (searched on PATH if no slash).
  std::vector<std::string> args;    // Arguments after argv[0].
  std::vector<std::string> env;     // "KEY=VALUE" entries added to (or replacing) inherited ones.
  size_t stderr_tail_bytes = 4096;  // How much of the child's stderr to keep.
};

// How the child ended.
struct ProcessExit {
  bool exited = false;  // True: exited with `code`. False: killed by `signal`.
  int code = 0;
  int signal = 0;
  std::string stderr_tail;       // Last bytes the child wrote to stderr.
  std::string Describe() const;  // "exit 3" or "killed by signal 9 (Killed)".
};

// Owns one child process. Thread-safe. The destructor kills the child (SIGKILL to its process
// group) if it is still running and joins the reader thread.
class TrialProcess {
 public:
  // Called on the reader thread for each complete stdout line (without the newline). It must
  // not call back into this object's Terminate/Wait.
  using LineCallback = std::function<void(const std::string& line)>;

  // Starts the child in its own process group. INVALID_ARGUMENT for an empty binary,
  // NOT_FOUND if it cannot be executed (reported by the child before exec'ing anything else).
  static absl::StatusOr<std::unique_ptr<TrialProcess>> Start(const TrialProcessOptions& options,
                                                             LineCallback on_line);
  ~TrialProcess();
  TrialProcess(const TrialProcess&) = delete;
  TrialProcess& operator=(const TrialProcess&) = delete;

  pid_t pid() const { return pid_; }

  // SIGTERM to the process group; SIGKILL if it is still alive after `grace`. Returns at once.
  void Terminate(absl::Duration grace);
  // SIGKILL to the process group now, if the child still runs. Returns at once.
  void Kill();
  // Blocks until the child has exited and every stdout line has been delivered.
  ProcessExit Wait();
  // Like Wait, but gives up after `timeout` (DEADLINE_EXCEEDED).
  absl::StatusOr<ProcessExit> WaitFor(absl::Duration timeout);

 private:
  TrialProcess(pid_t pid, int stdout_fd, int stderr_fd, size_t tail_bytes, LineCallback cb);
  void ReadLoop();
  void Reap();

  const pid_t pid_;
  const size_t tail_bytes_;
  LineCallback on_line_;
  int stdout_fd_;
  int stderr_fd_;
  std::thread reader_;
  std::thread killer_;

  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;  // Child reaped and all output delivered.
  bool terminating_ ABSL_GUARDED_BY(mu_) = false;
  ProcessExit exit_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur

#endif  // AUGUR_WORKER_TRIAL_PROCESS_H_
