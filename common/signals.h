// Waiting for SIGINT/SIGTERM without async-signal-unsafe handlers: the signals are blocked in
// every thread (call BlockTerminationSignals before starting any), and one thread waits for
// them with sigwait and then does the orderly shutdown.
#ifndef AUGUR_COMMON_SIGNALS_H_
#define AUGUR_COMMON_SIGNALS_H_

namespace augur {

// Blocks SIGINT and SIGTERM in the calling thread and in threads it creates afterwards.
void BlockTerminationSignals();
// Waits until SIGINT or SIGTERM arrives; returns its number.
int WaitForTerminationSignal();

// The same for SIGHUP, which asks a daemon to re-read its configuration (augur-scheduler: the
// tokens file). Block it before starting threads; wait for it on a thread of its own.
void BlockReloadSignal();
void WaitForReloadSignal();

}  // namespace augur

#endif  // AUGUR_COMMON_SIGNALS_H_
