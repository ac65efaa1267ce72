// The scheduler, below the gRPC adapters: worker sessions, the durable write path for loss
// points, early stopping at milestones, placement of trials on workers, and the sweep
// operations the CLI calls. All durable state lives in the Store; what is kept in memory
// (session tokens, connected sessions, the running sweeps' curves) is rebuilt after a restart,
// so a kill -9 loses nothing acknowledged.
//
// Inside, a loss point travels one way through parts that each own their state
// (docs/scheduler.md draws them). On arrival it goes two ways at once, neither waiting for the
// other: to the point writer, which commits it and then acknowledges it; and into the in-memory
// curves, where milestone crossings are seen -> the decider, which runs the stopping policy and
// commits its decisions ahead of the writer -> a stop order down the worker's session. The
// dispatcher places trials and expires leases.
//
// Every public method is thread-safe. Time, waits included, comes from the injected Clock.
#ifndef AUGUR_SCHEDULER_SCHEDULER_H_
#define AUGUR_SCHEDULER_SCHEDULER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "augur/v1/worker.pb.h"
#include "common/clock.h"
#include "scheduler/scheduler_options.h"
#include "scheduler/store.h"
#include "scheduler/worker_session.h"

namespace augur {

class Scheduler {
 public:
  // `store`, `clock` and whatever `options` point to must outlive the scheduler. Without a
  // planner, Submit fails UNIMPLEMENTED.
  Scheduler(Store* store, Clock* clock, SchedulerOptions options = {},
            SweepPlanner planner = nullptr);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Carries out stored STOP decisions that a previous run did not, then starts the threads.
  void Start();
  // Closes the sessions, commits what is queued, then joins the threads. Idempotent; also run
  // by the destructor.
  void Stop();

  // ---- WorkerService ----
  // INVALID_ARGUMENT for an empty id or no slots. Issues a new session token.
  absl::StatusOr<v1::RegisterWorkerResponse> RegisterWorker(const v1::RegisterWorkerRequest& req);
  // Checks the hello (UNAUTHENTICATED for an unknown token), works out which held leases are
  // still valid, queues SessionAccepted on the new session, and replaces any previous session
  // of the same worker.
  absl::StatusOr<std::shared_ptr<WorkerSession>> OpenSession(const v1::SessionHello& hello);
  // Handles one message from the worker without waiting for the store: writes are queued and
  // acknowledged once durable; problems come back as Rejection messages on the session.
  void HandleWorkerMessage(const std::shared_ptr<WorkerSession>& session,
                           const v1::WorkerMessage& msg);
  // The worker went away. Its leases stay valid until they expire.
  void CloseSession(const std::shared_ptr<WorkerSession>& session);

  // ---- SweepService ----
  // Plans, validates and stores a sweep; INVALID_ARGUMENT for a bad spec (nothing stored).
  // `owner` (the submitter's principal) is kept in Sweep.owner.
  absl::StatusOr<v1::SubmitSweepResponse> Submit(const v1::SubmitSweepRequest& req,
                                                 const std::string& owner = "local");
  // Who submitted the sweep (Sweep.owner). NOT_FOUND for an unknown sweep.
  absl::StatusOr<std::string> SweepOwner(const std::string& sweep_id);
  // The sweep with the slice of its ranking and decisions (all of both by default).
  absl::StatusOr<v1::GetSweepResponse> GetSweep(const std::string& sweep_id,
                                                const SweepSlice& slice = {});
  absl::StatusOr<v1::Trial> StopTrial(const std::string& trial_id, const std::string& reason);
  absl::StatusOr<v1::Trial> PauseTrial(const std::string& trial_id, const std::string& reason);
  absl::StatusOr<v1::Trial> ResumeTrial(const std::string& trial_id, const std::string& reason);
  // `who` (the caller's principal, "local" without tokens) and `reason` are logged.
  absl::StatusOr<v1::Sweep> CancelSweep(const std::string& sweep_id,
                                        const std::string& who = "local",
                                        const std::string& reason = "");
  // Deletes a sweep with its data; a RUNNING one only when `force` (it is cancelled first).
  // Returns the number of trials deleted.
  absl::StatusOr<int> DeleteSweep(const std::string& sweep_id, bool force, const std::string& who);
  absl::StatusOr<v1::Sweep> AnnotateSweep(const v1::AnnotateSweepRequest& req,
                                          const std::string& who);
  absl::StatusOr<std::vector<v1::WorkerInfo>> ListWorkers();
  // Reads the scheduler adds nothing to, for listing sweeps and exporting curves (Store's
  // contracts: newest sweeps first, trials in planning order, points by ascending step).
  absl::StatusOr<SweepPage> ListSweeps(int page_size, const std::string& page_token);
  absl::StatusOr<std::vector<v1::Trial>> ListTrials(const std::string& sweep_id);
  absl::StatusOr<TrialPage> ListTrialsPage(const std::string& sweep_id, int page_size,
                                           const std::string& page_token);
  absl::StatusOr<std::vector<v1::LossPoint>> ReadPoints(const std::string& trial_id);
  // One trial as stored (with its config), and the decisions about it, oldest first, without
  // reading the rest of its sweep. NOT_FOUND for an unknown trial.
  absl::StatusOr<v1::Trial> GetTrial(const std::string& trial_id);
  absl::StatusOr<std::vector<v1::Decision>> ListTrialDecisions(const std::string& trial_id);

  // A counter that grows whenever anything a ranking shows may have changed. Returns the new
  // value once it exceeds `seen`, or the current one after `timeout` on the clock.
  int64_t WaitForChange(int64_t seen, absl::Duration timeout);

  // Blocks until nothing is left to do at the clock's current time: nothing queued for the
  // writer, the decider or the dispatcher, no round in flight, no lease expiry due. What a
  // worker would receive is then on its session. For tests, which drive the scheduler with a
  // FakeClock and look at the sessions afterwards instead of waiting for wall time.
  void WaitUntilIdle();
  // Sweeps whose trials and curves are held in memory (ended ones are dropped every 30 s).
  size_t loaded_sweeps() const;

 private:
  struct Parts;
  // Sweep.waiting_reason from the workers the store knows (left empty if it cannot read them).
  void SetWaitingReason(v1::Sweep& sweep);

  std::unique_ptr<Parts> parts_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SCHEDULER_H_
