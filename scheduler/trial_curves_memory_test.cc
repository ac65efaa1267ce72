// TrialCurves' memory grows with the trials that started, not with the sweep: unstarted trials
// (PENDING, never leased) are counted per group, not held, while a large sweep is dispatched;
// and an ended trial of a milestone sweep holds the prefix of its curve that decisions read.
#include <span>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/fault_injecting_store.h"
#include "scheduler/memory_store.h"
#include "scheduler/part_test_util.h"
#include "scheduler/policy_runner.h"
#include "scheduler/trial_curves.h"

namespace augur {
namespace {

using testing::StoreSweep;
using Kind = CurveEvent::Kind;

// Every point of a run of kSteps steps (testing::MakeTrial's), under the grant's lease.
v1::LossPointBatch WholeRun(const LeaseGrant& g) {
  v1::LossPointBatch b;
  b.set_trial_id(g.trial.trial_id());
  b.set_fencing_token(g.lease.fencing_token());
  for (int step = 1; step <= testing::kSteps; ++step) {
    v1::LossPoint* p = b.add_points();
    p->set_step(step);
    p->set_fraction((step - 0.5) / testing::kSteps);
    p->set_train_loss(5.0 - 0.001 * step);
  }
  return b;
}

class TrialCurvesMemoryTest : public ::testing::Test {
 protected:
  // Leases up to `n` pending trials to w1 and tells the curves, as dispatch does.
  std::vector<LeaseGrant> Dispatch(int n) {
    auto grants = store_.AcquireLeases("w1", absl::Hours(1), n, n);
    EXPECT_TRUE(grants.ok()) << grants.status();
    if (!grants.ok()) return {};
    for (const LeaseGrant& g : *grants) {
      curves_.EnsureLoaded(g.trial.sweep_id());
      curves_.Granted(g.trial, g.lease.fencing_token());
    }
    return *grants;
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  std::vector<CurveEvent> events_;
  TrialCurves curves_{&store_, &clock_, [this](CurveEvent e) { events_.push_back(e); }};
};

// 2,000 trials dispatched 16 at a time, each trained to the end: memory never holds more rows
// than the trials running (a sweep without milestones compares no curves, so an ended trial
// leaves memory).
TEST_F(TrialCurvesMemoryTest, RowsHeldStayBoundedByLiveTrialsWhileALargeSweepIsDispatched) {
  constexpr int kTrials = 2000, kSlots = 16;
  StoreSweep(store_, "s1", {.trials = kTrials});
  curves_.EnsureLoaded("s1");
  ASSERT_EQ(curves_.loaded_sweeps(), 1u);
  EXPECT_EQ(curves_.held_trials(), 0u);  // Every trial is unstarted.
  size_t most_held = 0;
  int completed = 0;
  while (completed < kTrials) {
    const std::vector<LeaseGrant> grants = Dispatch(kSlots);
    ASSERT_FALSE(grants.empty());
    most_held = std::max(most_held, curves_.held_trials());
    EXPECT_LE(curves_.held_trials(), grants.size());
    CommittedWrites ended;
    for (const LeaseGrant& g : grants) {
      curves_.TakeArrived(WholeRun(g), clock_.Now());
      EXPECT_EQ(testing::InCurves(curves_, g.trial.trial_id()).points.size(),
                static_cast<size_t>(testing::kSteps));
      auto done = store_.EndLease(g.trial.trial_id(), g.lease.fencing_token(),
                                  v1::TRIAL_STATE_COMPLETED, "");
      ASSERT_TRUE(done.ok()) << done.status();
      ended.ended.push_back(*done);
      ++completed;
    }
    curves_.TakeCommitted(ended);
    EXPECT_EQ(curves_.held_trials(), 0u);
    curves_.TakeArrived(WholeRun(grants[0]), clock_.Now());  // A late re-send reads nothing in.
    EXPECT_EQ(curves_.held_trials(), 0u);
    clock_.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(most_held, static_cast<size_t>(kSlots));
}

// A synchronous sweep: started trials stay held (their curves are compared at the milestone),
// and the group is held at its milestone while any trial is unstarted.
TEST_F(TrialCurvesMemoryTest, UnstartedTrialsAreCountedAndHoldTheirGroup) {
  StoreSweep(
      store_, "s1",
      {.trials = 100, .kind = v1::POLICY_KIND_MEDIAN, .milestones = {0.5}, .asynchronous = false});
  curves_.EnsureLoaded("s1");
  const std::string group = CollapseGroupKey(testing::MakeTrial("s1", 0).controls());
  EXPECT_EQ(curves_.held_trials(), 0u);
  EXPECT_TRUE(curves_.HasUnstarted("s1", group));
  EXPECT_EQ(Dispatch(10).size(), 10u);
  EXPECT_EQ(curves_.held_trials(), 10u);
  EXPECT_TRUE(curves_.HasUnstarted("s1", group));
  // The last unstarted trial is stopped by hand instead of leased: it no longer holds the
  // milestone, and the group is rechecked.
  EXPECT_EQ(Dispatch(89).size(), 89u);
  EXPECT_TRUE(curves_.HasUnstarted("s1", group));
  auto last = store_.TransitionTrial("s1/t0099", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_STOPPED,
                                     "stopped by hand");
  ASSERT_TRUE(last.ok()) << last.status();
  events_.clear();
  curves_.Update(std::span<const v1::Trial>(&*last, 1));
  EXPECT_FALSE(curves_.HasUnstarted("s1", group));
  EXPECT_EQ(curves_.held_trials(), 100u);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, Kind::kRecheck);
  EXPECT_EQ(events_[0].group_key, group);
}

// The default policy (collapse, synchronous milestones 0.1 and 0.15) over 400 trials run to the
// end, 16 at a time: an ended trial keeps the points up to the last milestone's window (0.155)
// and its last point, so the points held grow with the prefix, not with the runs (the runs are
// kSteps = 100 points; the prefix is 16 and the last point one more). A load after a restart
// keeps the same points.
TEST_F(TrialCurvesMemoryTest, EndedTrialsOfAMilestoneSweepKeepOnlyWhatDecisionsRead) {
  constexpr int kTrials = 400, kSlots = 16;
  constexpr size_t kKept = 17;  // Steps 1..16 ((step - 0.5) / 100 <= 0.155) and step 100.
  StoreSweep(store_, "s1",
             {.trials = kTrials,
              .kind = v1::POLICY_KIND_COLLAPSE,
              .milestones = {0.1, 0.15},
              .asynchronous = false});
  curves_.EnsureLoaded("s1");
  size_t most_points = 0;
  for (int ended = 0; ended < kTrials;) {
    const std::vector<LeaseGrant> grants = Dispatch(kSlots);
    ASSERT_FALSE(grants.empty());
    CommittedWrites writes;
    for (const LeaseGrant& g : grants) {
      const v1::LossPointBatch run = WholeRun(g);
      ASSERT_TRUE(store_
                      .AppendPoints(PointWrite{g.trial.trial_id(),
                                               g.lease.fencing_token(),
                                               {run.points().begin(), run.points().end()}})
                      .ok());
      curves_.TakeArrived(run, clock_.Now());
      auto done = store_.EndLease(g.trial.trial_id(), g.lease.fencing_token(),
                                  v1::TRIAL_STATE_COMPLETED, "");
      ASSERT_TRUE(done.ok()) << done.status();
      writes.ended.push_back(*done);
    }
    most_points = std::max(most_points, curves_.held_points());
    curves_.TakeCommitted(writes);
    ended += static_cast<int>(grants.size());
    EXPECT_EQ(curves_.held_trials(), static_cast<size_t>(ended));  // Compared at milestones.
    EXPECT_EQ(curves_.held_points(), ended * kKept);
    clock_.Advance(absl::Seconds(1));
  }
  EXPECT_LE(most_points, (kTrials - kSlots) * kKept + kSlots * testing::kSteps);
  const testing::CurveCopy first = testing::InCurves(curves_, "s1/t000");
  ASSERT_EQ(first.points.size(), kKept);
  for (size_t i = 0; i + 1 < kKept; ++i)
    EXPECT_EQ(first.points[i].step, static_cast<int64_t>(i + 1));
  EXPECT_EQ(first.points.back().step, testing::kSteps);
  EXPECT_DOUBLE_EQ(first.points.back().loss, 5.0 - 0.001 * testing::kSteps);

  // The load reads the heads of the ended trials' curves, never a whole curve: it succeeds
  // when every whole-curve read fails.
  FaultInjectingStore heads_only(&store_);
  heads_only.FailOperation("ReadPoints", absl::InternalError("a whole curve was read"), -1);
  TrialCurves restarted(&heads_only, &clock_, [](CurveEvent) {});
  restarted.EnsureLoaded("s1");
  EXPECT_TRUE(heads_only.failed_operations().empty());
  EXPECT_EQ(restarted.held_trials(), static_cast<size_t>(kTrials));
  EXPECT_EQ(restarted.held_points(), kTrials * kKept);
  const testing::CurveCopy loaded = testing::InCurves(restarted, "s1/t000");
  ASSERT_EQ(loaded.points.size(), kKept);
  for (size_t i = 0; i < kKept; ++i) {
    EXPECT_EQ(loaded.points[i].step, first.points[i].step);
    EXPECT_EQ(loaded.points[i].loss, first.points[i].loss);
  }
}

// A trial leased while its sweep was loading (counted unstarted by the load) is read in with
// its points when its first batch arrives, instead of being left out of memory.
TEST_F(TrialCurvesMemoryTest, ATrialLeasedBehindTheLoadIsAdoptedOnItsFirstBatch) {
  StoreSweep(store_, "s1", {.trials = 3, .kind = v1::POLICY_KIND_MEDIAN, .milestones = {0.5}});
  curves_.EnsureLoaded("s1");
  auto grants = store_.AcquireLeases("w1", absl::Hours(1), 1, 1);  // The curves are not told.
  ASSERT_TRUE(grants.ok() && grants->size() == 1u);
  const LeaseGrant& g = (*grants)[0];
  ASSERT_TRUE(store_
                  .AppendPoints(PointWrite{
                      g.trial.trial_id(), g.lease.fencing_token(), {WholeRun(g).points(0)}})
                  .ok());
  v1::LossPointBatch rest = WholeRun(g);
  rest.mutable_points()->DeleteSubrange(0, 1);
  curves_.TakeArrived(rest, clock_.Now());
  EXPECT_EQ(curves_.held_trials(), 1u);
  EXPECT_EQ(testing::InCurves(curves_, g.trial.trial_id()).points.size(),
            static_cast<size_t>(testing::kSteps));
}

}  // namespace
}  // namespace augur
