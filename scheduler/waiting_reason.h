// Why a sweep's pending trials wait: trials that ask for GPUs are leased only to workers that
// have them (Store::AcquireLeases, DeviceKind), so with only CPU-only or smaller workers
// connected they wait PENDING, and `augur status` says so (Sweep.waiting_reason). Pure.
#ifndef AUGUR_SCHEDULER_WAITING_REASON_H_
#define AUGUR_SCHEDULER_WAITING_REASON_H_

#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"

namespace augur {

// "waiting for a worker with N GPU(s); connected workers have none" (or "have at most M", or
// "no worker is connected") when `sweep` is RUNNING with PENDING trials (trial_counts filled),
// its spec asks for N > 0 GPUs without allow_cpu, and no connected worker in `workers` has N
// GPUs; "" otherwise.
std::string WaitingReason(const v1::Sweep& sweep, const std::vector<v1::WorkerInfo>& workers);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_WAITING_REASON_H_
