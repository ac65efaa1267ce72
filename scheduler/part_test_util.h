// Set-up shared by the tests of the scheduler's parts (trial_curves_test.cc, dispatcher_test.cc,
// sweep_control_test.cc): sweeps stored straight into a store, leases taken from it, worker
// sessions opened on a registry, and what a worker would read from its session. Trials are
// scheduler_test_util.h's MakeTrial (kSteps steps, one collapse group).
#ifndef AUGUR_SCHEDULER_PART_TEST_UTIL_H_
#define AUGUR_SCHEDULER_PART_TEST_UTIL_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/scheduler_test_util.h"
#include "scheduler/session_registry.h"
#include "scheduler/store.h"
#include "scheduler/trial_curves.h"

namespace augur::testing {

struct SweepShape {
  int trials = 1;
  std::vector<int> gpus = {};        // Slots trial i needs (1 for those past the end).
  std::vector<int> references = {};  // Indexes of reference runs.
  v1::PolicyKind kind = v1::POLICY_KIND_NONE;
  std::vector<double> milestones = {};
  // Decisions on arrival, as the parts' tests written before synchronous milestones assume;
  // false: synchronous milestones (the default of a spec).
  bool asynchronous = true;
};

// Stores sweep `id`, RUNNING, with the trials of `shape` in planning order ("<id>/t00<i>").
inline void StoreSweep(Store& store, const std::string& id, const SweepShape& shape) {
  v1::Sweep sweep;
  sweep.set_sweep_id(id);
  sweep.set_state(v1::Sweep::STATE_RUNNING);
  v1::StoppingPolicy* policy = sweep.mutable_spec()->mutable_policy();
  policy->set_kind(shape.kind);
  policy->set_keep_top(1);
  for (double m : shape.milestones) policy->add_milestone_fractions(m);
  policy->set_asynchronous(shape.asynchronous);
  std::vector<v1::Trial> trials;
  for (int i = 0; i < shape.trials; ++i) {
    trials.push_back(MakeTrial(id, i));
    if (i < static_cast<int>(shape.gpus.size())) {
      trials.back().mutable_config()->mutable_resources()->set_gpus(shape.gpus[i]);
    }
  }
  for (int r : shape.references) trials.at(r).set_is_reference(true);
  const absl::Status created = store.CreateSweep(sweep, trials);
  ASSERT_TRUE(created.ok()) << created;
}

// Grants the first pending trial to `worker` for an hour, as the dispatcher would.
inline LeaseGrant Lease(Store& store, const std::string& worker) {
  auto grants = store.AcquireLeases(worker, absl::Hours(1), 1000, 1);
  EXPECT_TRUE(grants.ok()) << grants.status();
  if (!grants.ok() || grants->empty()) {
    ADD_FAILURE() << "nothing to lease";
    return {};
  }
  return (*grants)[0];
}

// Registers `worker` in the store (as RegisterWorker does) and opens its session, whose first
// message (SessionAccepted) is taken off.
inline std::shared_ptr<WorkerSession> Connect(SessionRegistry& sessions, Store& store,
                                              const std::string& worker, int slots) {
  v1::WorkerInfo info;
  info.set_worker_id(worker);
  info.set_gpus(slots);  // A GPU worker: it may take any trial.
  EXPECT_TRUE(store.UpsertWorker(info).ok());
  v1::SchedulerMessage accepted;
  accepted.mutable_accepted();
  auto session = sessions.Open(worker, slots, accepted);
  EXPECT_TRUE(session.ok()) << session.status();
  v1::SchedulerMessage first;
  EXPECT_TRUE((*session)->TryNext(&first) && first.has_accepted());
  return *session;
}

// Every message queued on the session, taken off it; those of other kinds are dropped.
inline std::vector<v1::SchedulerMessage> TakeAll(WorkerSession& session,
                                                 v1::SchedulerMessage::KindCase kind) {
  std::vector<v1::SchedulerMessage> out;
  v1::SchedulerMessage m;
  while (session.TryNext(&m)) {
    if (m.kind_case() == kind) out.push_back(m);
  }
  return out;
}

// A trial's row and curve as the curves hold them (its sweep is the part of its id before '/',
// as StoreSweep names them); an empty row (state UNSPECIFIED) if the trial is not there.
struct CurveCopy {
  v1::Trial trial;
  std::vector<predictor::CurvePoint> points;
};
inline CurveCopy InCurves(const TrialCurves& curves, const std::string& trial_id) {
  CurveCopy out;
  const bool loaded = curves.Visit(trial_id.substr(0, trial_id.find('/')), "",
                                   [&](std::span<const CurveEntry> entries) {
                                     for (const CurveEntry& e : entries) {
                                       if (e.trial_id != trial_id) continue;
                                       out.trial = *e.trial;
                                       out.points = e.points;
                                     }
                                   });
  EXPECT_TRUE(loaded) << trial_id << "'s sweep is not in memory";
  return out;
}

}  // namespace augur::testing

#endif  // AUGUR_SCHEDULER_PART_TEST_UTIL_H_
