#include "common/signals.h"

#include <pthread.h>
#include <signal.h>

namespace augur {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

sigset_t ReloadSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockReloadSignal() {
  sigset_t set = ReloadSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WaitForReloadSignal() {
  sigset_t set = ReloadSet();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
}

void BlockTerminationSignals() {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSet();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace augur
