// The scheduler's core, below the gRPC adapters: worker sessions, dispatch of leases, the
// batched durable write path for loss points, early stopping at milestones, and the sweep
// operations the CLI calls. All durable state lives in the Store; what is kept in memory here
// (session tokens, connected sessions, each trial's last seen fraction) is rebuilt after a
// restart, so a kill -9 loses nothing acknowledged.
//
// Threads: RPC handler threads call the public methods; one writer thread commits worker
// writes in batches (in arrival order per session); one decider thread runs the stopping
// policy; one maintenance thread expires leases and dispatches. Every public method is
// thread-safe.
//
// Decisions do not wait for the write queue. Points that arrive under a trial's live lease go
// into its in-memory curve at once (milestone crossings are detected there), while the writer
// commits them and acknowledges them once durable. A decision may therefore use points that
// are not yet durable. They become durable all the same: the worker keeps every
// unacknowledged point and resends it after any failure, a resumed trial recomputes the same
// points (the trainer is bit-exact), and a trial the policy stopped still accepts points
// under its last lease's token (store.h). The decision itself (with the STOP it causes) is
// committed, with priority over the write queue, before the stop order goes out.
#ifndef AUGUR_SCHEDULER_SCHEDULER_H_
#define AUGUR_SCHEDULER_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.pb.h"
#include "augur/v1/worker.pb.h"
#include "common/clock.h"
#include "predictor/curve.h"
#include "predictor/policy.h"
#include "scheduler/store.h"

namespace augur {

// Turns a spec into its planned trials (scheduler/planner.h in production; tests inject their
// own). INVALID_ARGUMENT for a spec it cannot plan.
using SweepPlanner = std::function<absl::StatusOr<std::vector<v1::Trial>>(
    const v1::SweepSpec& spec, const std::string& sweep_id)>;

struct SchedulerOptions {
  absl::Duration lease_ttl = absl::Seconds(30);  // A lease not renewed for this long expires.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  int max_points_per_batch = 5000;      // Larger LossPointBatch messages are rejected.
  size_t max_batches_per_commit = 512;  // Worker writes grouped into one transaction...
  // ...and the points in one transaction: bounds how long a decision waits for the store
  // (one such commit takes about 10 ms here).
  size_t max_points_per_commit = 2048;
  absl::Duration maintenance_interval = absl::Milliseconds(250);
};

// The outgoing side of one worker's session: a queue the RPC handler drains. Thread-safe.
class WorkerSession {
 public:
  WorkerSession(std::string worker_id, int slots, int64_t id)
      : worker_id_(std::move(worker_id)), slots_(slots), id_(id) {}
  const std::string& worker_id() const { return worker_id_; }
  int slots() const { return slots_; }
  int64_t id() const { return id_; }

  // Queues a message; dropped if the session is closed.
  void Send(v1::SchedulerMessage msg);
  // The worker's latest LeaseRequest: it wants leases for at most `slots` more slots from now.
  void SetWanted(int slots);
  // How many more slots the worker asked for; TakeWanted counts a grant of `slots`.
  int wanted() const;
  void TakeWanted(int slots);
  // Waits up to `timeout` for the next message; false if none (or closed and drained).
  bool Next(v1::SchedulerMessage* msg, absl::Duration timeout);
  void Close();
  bool closed() const;

 private:
  const std::string worker_id_;
  const int slots_;
  const int64_t id_;
  mutable absl::Mutex mu_;
  std::deque<v1::SchedulerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // No cap until the worker sends a LeaseRequest (simple clients never do; the scheduler's
  // count of live leases still caps them).
  int wanted_ ABSL_GUARDED_BY(mu_) = std::numeric_limits<int>::max();
};

// Latency of stop orders: from the arrival of the batch with which the trial reached the
// milestone to the order being queued on the worker's session; and, for the decision rounds
// that stored decisions, where their time went. Vectors are in first-in order, capped.
struct StopLatencyStats {
  int64_t count = 0;
  std::vector<double> samples_ms;
  std::vector<double> round_ms;         // Whole round: gather, policy, transactions.
  std::vector<double> wait_ms;          // Earliest milestone arrival of the round -> its start.
  std::vector<double> before_round_ms;  // Per stop: the trial reached the milestone -> round start.
  std::vector<double> policy_ms;        // Gather from memory, summarize, decide.
  std::vector<double> commit_ms;        // The round's transaction (waits for the writer's).
  // Trials a policy's per-trial stage ran on (a round reuses kept summaries; see PlanRound).
  int64_t summarized = 0;
};

class Scheduler {
 public:
  // `store` and `clock` must outlive the scheduler. Without a planner, Submit fails
  // UNIMPLEMENTED.
  Scheduler(Store* store, Clock* clock, SchedulerOptions options = {},
            SweepPlanner planner = nullptr);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the writer and maintenance threads. Stop() (also run by the destructor) drains the
  // writer queue, then joins them.
  void Start();
  void Stop();

  // ---- WorkerService ----
  absl::StatusOr<v1::RegisterWorkerResponse> RegisterWorker(const v1::RegisterWorkerRequest& req);
  // Validates the hello (UNAUTHENTICATED for an unknown token), works out which held leases
  // are still valid, queues SessionAccepted on the new session, and replaces any previous
  // session of the same worker.
  absl::StatusOr<std::shared_ptr<WorkerSession>> OpenSession(const v1::SessionHello& hello);
  // Handles one message from the worker. Writes are queued for the writer thread; problems
  // come back as Rejection messages on the session. Never blocks on the store for points.
  void HandleWorkerMessage(const std::shared_ptr<WorkerSession>& session,
                           const v1::WorkerMessage& msg);
  void CloseSession(const std::shared_ptr<WorkerSession>& session);

  // ---- SweepService ----
  // Plans, validates and stores a sweep; INVALID_ARGUMENT for a bad spec (nothing stored).
  absl::StatusOr<v1::SubmitSweepResponse> Submit(const v1::SubmitSweepRequest& req);
  absl::StatusOr<v1::GetSweepResponse> GetSweep(const std::string& sweep_id);
  absl::StatusOr<v1::Trial> StopTrial(const std::string& trial_id, const std::string& reason);
  absl::StatusOr<v1::Trial> PauseTrial(const std::string& trial_id, const std::string& reason);
  absl::StatusOr<v1::Trial> ResumeTrial(const std::string& trial_id, const std::string& reason);
  absl::StatusOr<v1::Sweep> CancelSweep(const std::string& sweep_id);
  absl::StatusOr<std::vector<v1::WorkerInfo>> ListWorkers();
  Store* store() { return store_; }

  // A counter that grows whenever anything a ranking shows may have changed. WaitForChange
  // returns the new value once it exceeds `seen`, or the current one after `timeout`.
  int64_t WaitForChange(int64_t seen, absl::Duration timeout);

  StopLatencyStats stop_latency() const;
  // Points committed since start (for benchmarks and status).
  int64_t points_committed() const;
  // Sweeps whose trials and curves are held in memory (running ones; an ended sweep is dropped
  // by the maintenance thread within 30 s).
  size_t loaded_sweeps() const;

 private:
  // One queued worker write, in arrival order.
  // A group to re-decide after a commit.
  struct MilestoneEvent {
    std::string sweep_id;
    std::string group_key;
    double fraction = 0;
    absl::Time arrived;
  };
  struct PendingWrite {
    std::shared_ptr<WorkerSession> session;  // Null for decisions.
    v1::WorkerMessage msg;                   // points, checkpoint or ended.
    absl::Time arrived;
    // Or: CONTINUE decisions of the round for `round`, already counted as decided in memory.
    std::vector<v1::Decision> decisions;
    MilestoneEvent round;
  };

  // A trial as the decision path needs it, kept in memory so deciding reads no store: the
  // trial (state refreshed whenever the scheduler changes it), its live lease's token, its
  // points (received under that lease; durable, or held by the worker until they are), and
  // the milestones it already has a stored decision for.
  // What a kept summary was computed from: the reference, and the points up to the
  // milestone's window (how many, and the step of the last, which a merge restamps).
  struct SummaryStamp {
    std::string reference_key;  // PolicyRound::ReferenceKey.
    size_t points = 0;
    int64_t last_step = -1;
    bool operator==(const SummaryStamp&) const = default;
  };
  // A trial counts as having reached milestone m once its last point is this close to m (the
  // predictor uses the same tolerance to decide who is in the comparison pool).
  static constexpr double kMilestoneTolerance = 0.005;
  struct KeptSummary {
    SummaryStamp stamp;
    predictor::TrialSummary summary;
  };
  struct TrialMemory {
    std::shared_ptr<const v1::Trial> trial;  // Replaced, never changed in place.
    std::string group_key;                   // CollapseGroupKey of its controls.
    int64_t fencing_token = 0;               // Of the live lease while RUNNING.
    // Ascending steps, at most 1,000 per run: points within one 0.1% of training are merged
    // into their mean (scheduler_writer.cc); `merged` counts those in the last one.
    std::vector<predictor::CurvePoint> points;
    int merged = 0;
    std::vector<double> decided;           // Milestone fractions.
    std::map<double, absl::Time> reached;  // Milestone -> when the trial reached it.
    // Milestone -> the policy's summary of the trial there, with what it was computed from: a
    // decision round summarizes a trial again only when its points up to the milestone's
    // window (or the reference) changed.
    std::map<double, KeptSummary> summaries;
  };

  void WriterLoop();
  void MaintenanceLoop();
  // Runs queued milestone events (coalesced per sweep, group and milestone) off the writer
  // thread, so commits and acknowledgements never wait for a policy.
  void DeciderLoop();
  void QueueDecision(MilestoneEvent event);
  // Queues a decision round for every (group, milestone) that a live trial of the sweep has
  // passed without a stored decision; `group_key` non-empty: of that group only. After a
  // restart, decisions lost with the write queue (CONTINUE decisions are stored through it)
  // are made again; after a reference run completes, those that were waiting for it.
  void QueueUndecidedMilestones(const std::string& sweep_id, const std::string& group_key = "")
      ABSL_LOCKS_EXCLUDED(mem_mu_);
  // Loads a sweep's trials and points into memory once (after a start or restart), then
  // QueueUndecidedMilestones.
  void EnsureLoaded(const std::string& sweep_id) ABSL_LOCKS_EXCLUDED(mem_mu_);
  // Re-reads one trial's row after its state changed.
  void RefreshTrial(const std::string& trial_id) ABSL_LOCKS_EXCLUDED(mem_mu_);
  // Commits `writes` (points and checkpoints in one transaction, ends in order after them).
  void CommitWrites(std::vector<PendingWrite> writes);
  // The lease end a TrialEnded asks for (a FAILED trial with attempts left goes back to
  // PENDING, to resume from its checkpoint).
  LeaseEnd LeaseEndFor(const v1::TrialEnded& e);
  // Acknowledges (or refuses) an applied lease end and updates memory and dispatch.
  void AfterLeaseEnd(const PendingWrite& w, const LeaseEnd& end, const LeaseEndResult& result);
  // Adds a batch's new points to the trial's in-memory curve and queues a decision round for
  // every milestone they crossed. On arrival (`check_lease`) only a batch under the lease the
  // memory knows is taken, and only for a loaded sweep; after a commit every batch is (the
  // store has accepted it). Points already in memory are skipped, so a batch seen at both
  // places counts once.
  void Remember(const v1::LossPointBatch& batch, bool check_lease, absl::Time arrived);
  // Replaces the in-memory trial row (and the lease token when the row is RUNNING).
  void UpdateMemory(const v1::Trial& trial, int64_t fencing_token);
  // UpdateMemory for trials that left RUNNING, under one lock.
  void UpdateMemory(const std::vector<const v1::Trial*>& trials);
  void UpdateMemoryLocked(const v1::Trial& trial, int64_t fencing_token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mem_mu_);
  // A STOP order for the worker holding a trial's lease; `arrived` is when the trial reached
  // what stopped it, for the latency record.
  struct StopOrder {
    std::string trial_id;
    std::string worker_id;
    int64_t fencing_token = 0;
    std::string reason;
    absl::Time arrived;
  };
  // Queues the orders on their workers' sessions (one lock for all), and records latency.
  void SendStopOrders(const std::vector<StopOrder>& orders);
  // The worker Dispatch holds back for the trial first in line when that trial fits on no
  // worker's free slots (`by_free`: free slots and session of the workers that may take
  // leases, among `sessions`; `used`: slots in use per worker); "" when none is held.
  std::string HeldWorker(const std::vector<std::shared_ptr<WorkerSession>>& sessions,
                         const std::vector<std::pair<int, std::shared_ptr<WorkerSession>>>& by_free,
                         const std::map<std::string, int>& used);
  // The writer waits here before each commit while a decision round wants the store.
  void AwaitNoPriorityWrite() ABSL_LOCKS_EXCLUDED(gate_mu_);
  // A decision round that decided somebody, before its transaction.
  struct DecisionRound {
    MilestoneEvent event;
    WriteBatch batch;                           // Its STOP decisions, with the stops they cause.
    std::vector<v1::Decision> continues;        // Its CONTINUE decisions.
    std::map<std::string, absl::Time> reached;  // When each decided trial reached the milestone.
    absl::Time start, decided;                  // When it started and when its policy returned.
  };
  // Runs the policy for one (sweep, group, milestone) on the trials new there; nullopt when
  // nobody is to be decided. Trials in `stopping` (stopped by an earlier round of the same
  // transaction) are left out, and the ones this round stops are added.
  std::optional<DecisionRound> PlanRound(const MilestoneEvent& event,
                                         std::set<std::string>& stopping);
  // Stores the rounds' STOP decisions and the stops in one transaction ahead of the write
  // queue and sends the stop orders; their CONTINUE decisions go to the write queue.
  void CommitRounds(std::vector<DecisionRound> rounds);
  // Counts the trials of `decisions` as decided at the round's milestone in memory: all of
  // them, or with `stored` (one status per decision) those the store took or already had.
  void MarkDecided(const MilestoneEvent& round, const std::vector<v1::Decision>& decisions,
                   std::span<const absl::Status> stored = {}) ABSL_LOCKS_EXCLUDED(mem_mu_);
  // Undoes MarkDecided after their write failed.
  void ForgetDecided(const MilestoneEvent& round, const std::vector<v1::Decision>& decisions)
      ABSL_LOCKS_EXCLUDED(mem_mu_);
  // Stops a trial for good: ends its lease in the store and orders its worker to stop.
  absl::StatusOr<v1::Trial> EndTrial(const std::string& trial_id, v1::TrialState to,
                                     const std::string& reason, absl::Time arrived);
  // Grants pending trials to the connected workers that asked for them, by free slots.
  void Dispatch();
  // Drops the in-memory curves of sweeps that are no longer RUNNING (a late write reloads them).
  void ForgetFinishedSweeps() ABSL_LOCKS_EXCLUDED(mem_mu_);
  // Slots a trial occupies on its worker: max(1, config.resources.gpus).
  int GpusOf(const std::string& trial_id) ABSL_LOCKS_EXCLUDED(mem_mu_);
  void RecoverDecisions();
  void Bump();
  absl::StatusOr<v1::Sweep> CachedSweep(const std::string& sweep_id);
  // The sweep's decision fractions (DecisionFractions of its policy), computed once.
  absl::StatusOr<std::vector<double>> Milestones(const std::string& sweep_id);

  Store* const store_;
  Clock* const clock_;
  const SchedulerOptions options_;
  const SweepPlanner planner_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::string> tokens_ ABSL_GUARDED_BY(mu_);  // worker -> token
  std::map<std::string, std::shared_ptr<WorkerSession>> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Sweep> sweeps_ ABSL_GUARDED_BY(mu_);  // Specs, immutable.
  std::map<std::string, std::vector<double>> milestones_ ABSL_GUARDED_BY(mu_);
  int64_t next_session_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t next_order_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool dispatch_wanted_ ABSL_GUARDED_BY(mu_) = false;
  int64_t points_committed_ ABSL_GUARDED_BY(mu_) = 0;
  StopLatencyStats stop_latency_ ABSL_GUARDED_BY(mu_);

  // sweep -> trial -> memory; only sweeps touched since start are loaded.
  mutable absl::Mutex mem_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::map<std::string, std::map<std::string, TrialMemory>> mem_ ABSL_GUARDED_BY(mem_mu_);
  std::map<std::string, std::string> trial_sweep_ ABSL_GUARDED_BY(mem_mu_);  // trial -> sweep

  absl::Mutex decide_mu_;
  std::deque<MilestoneEvent> decide_queue_ ABSL_GUARDED_BY(decide_mu_);
  bool decider_stop_ ABSL_GUARDED_BY(decide_mu_) = false;

  // Decision rounds waiting for (or holding) the store; the writer yields to them.
  absl::Mutex gate_mu_;
  int priority_writes_ ABSL_GUARDED_BY(gate_mu_) = 0;

  absl::Mutex queue_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::deque<PendingWrite> queue_ ABSL_GUARDED_BY(queue_mu_);

  absl::Mutex dispatch_mu_;  // Serializes Dispatch (store calls are outside mu_).

  std::thread writer_;
  std::thread maintenance_;
  std::thread decider_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SCHEDULER_H_
