// Placement and the lease clock, on one thread. Grants pending trials to the connected workers
// that asked for them (a CPU-only worker only trials that may train on CPU: NeedsGpu; best fit
// by free slots; a worker is held back for a trial first in line
// that fits on no worker's free slots yet, so smaller trials cannot overtake it for ever; in a
// synchronous sweep a lease runs until the trial's next milestone, TrialCurves::Granted);
// expires leases not renewed in time (their trials go back to PENDING); drops the curves of
// sweeps that ended. Runs when woken (Wake: a worker asked, slots came free, work appeared) and
// every `maintenance_interval` on the clock.
//
// Threads: Wake from any thread; one dispatcher thread. Thread-safe.
#ifndef AUGUR_SCHEDULER_DISPATCHER_H_
#define AUGUR_SCHEDULER_DISPATCHER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "scheduler/activity.h"
#include "scheduler/session_registry.h"
#include "scheduler/store.h"
#include "scheduler/trial_curves.h"

namespace augur {

struct DispatcherOptions {
  absl::Duration lease_ttl = absl::Seconds(30);
  absl::Duration maintenance_interval = absl::Milliseconds(250);  // Lease expiry, and dispatch.
  absl::Duration forget_interval = absl::Seconds(30);  // Ended sweeps leave memory this often.
};

class Dispatcher {
 public:
  // Everything given must outlive the dispatcher.
  Dispatcher(Store* store, const Clock* clock, SessionRegistry* sessions, TrialCurves* curves,
             Activity* activity, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  void Stop();  // Joins the thread. Idempotent.
  // Asks for a dispatch round as soon as possible.
  void Wake();
  // Blocks until no round is asked for or running and none is due on the clock.
  void WaitIdle();

 private:
  using BySlots = std::vector<std::pair<int, std::shared_ptr<WorkerSession>>>;
  void Loop();
  void Dispatch();
  // The worker of `kind` held back for the trial first in line for that kind when that trial
  // fits on no such worker's free slots (`by_free`: free slots and session of the workers that
  // may take leases; `used`: slots in use per worker; `kinds`: each worker's kind); "" when
  // none is held.
  std::string HeldWorker(DeviceKind kind,
                         const std::vector<std::shared_ptr<WorkerSession>>& sessions,
                         const BySlots& by_free, const std::map<std::string, int>& used,
                         const std::map<std::string, DeviceKind>& kinds);
  int GpuNeedOf(const std::string& trial_id);

  Store* const store_;
  const Clock* const clock_;
  SessionRegistry* const sessions_;
  TrialCurves* const curves_;
  Activity* const activity_;
  const DispatcherOptions options_;

  absl::Mutex mu_;
  bool wanted_ ABSL_GUARDED_BY(mu_) = true;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_expiry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_forget_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_DISPATCHER_H_
