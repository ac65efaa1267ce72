// Placement by device kind: a worker that reports no GPU at registration is never leased a
// trial that asks for GPUs (unless its spec allows CPU); such a trial waits PENDING for a GPU
// worker, and GetSweep says why.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/scheduler_test_util.h"

namespace augur {
namespace {

using testing::MakeTrial;
using testing::SchedulerTest;

class DevicePlacementTest : public SchedulerTest {
 protected:
  // Sweep "s1" whose spec asks for `spec_gpus` GPUs (allow_cpu as given), with one trial per
  // entry of `trial_gpus` asking for that many GPUs (0: a CPU trial), in planning order.
  void CreateGpuSweep(int spec_gpus, bool allow_cpu, const std::vector<int>& trial_gpus) {
    v1::Sweep sweep;
    sweep.set_sweep_id("s1");
    sweep.set_state(v1::Sweep::STATE_RUNNING);
    sweep.mutable_spec()->mutable_policy()->set_kind(v1::POLICY_KIND_NONE);
    sweep.mutable_spec()->mutable_resources()->set_gpus(spec_gpus);
    sweep.mutable_spec()->mutable_resources()->set_allow_cpu(allow_cpu);
    std::vector<v1::Trial> trials;
    for (size_t i = 0; i < trial_gpus.size(); ++i) {
      trials.push_back(MakeTrial("s1", static_cast<int>(i)));
      trials.back().mutable_config()->mutable_resources()->set_gpus(trial_gpus[i]);
      trials.back().mutable_config()->mutable_resources()->set_allow_cpu(allow_cpu);
    }
    ASSERT_TRUE(store_.CreateSweep(sweep, trials).ok());
  }

  std::vector<std::string> LeasedTrials(WorkerSession& s) {
    std::vector<std::string> ids;
    for (const v1::SchedulerMessage& m : Drain(s)) {
      if (m.has_lease()) ids.push_back(m.lease().trial_id());
    }
    return ids;
  }

  std::string WaitingReason() {
    auto r = scheduler_->GetSweep("s1", {0, 0, 0, 0});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->sweep().waiting_reason() : "";
  }
};

TEST_F(DevicePlacementTest, AGpuTrialWaitsForAGpuWorkerWhileACpuTrialRunsOnACpuWorker) {
  // t000 asks for a GPU; t001, first in line after it, asks for none.
  CreateGpuSweep(/*spec_gpus=*/1, /*allow_cpu=*/false, {1, 0});
  auto cpu = Connect("cpu", 2, {}, DeviceKind::kCpuOnly);
  EXPECT_EQ(LeasedTrials(*cpu), std::vector<std::string>{"s1/t001"});
  // Dispatch rounds come and go; the CPU worker has a free slot and still gets nothing.
  for (int i = 0; i < 5; ++i) clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(LeasedTrials(*cpu).empty());
  EXPECT_EQ(store_.GetTrial("s1/t000")->state(), v1::TRIAL_STATE_PENDING);
  EXPECT_EQ(WaitingReason(), "waiting for a worker with 1 GPU; connected workers have none");

  auto gpu = Connect("gpu", 1);
  EXPECT_EQ(LeasedTrials(*gpu), std::vector<std::string>{"s1/t000"});
  EXPECT_EQ(store_.GetTrial("s1/t000")->worker_id(), "gpu");
  EXPECT_EQ(WaitingReason(), "");  // Nothing pending.
}

TEST_F(DevicePlacementTest, AllowCpuLetsACpuWorkerTakeAGpuTrial) {
  CreateGpuSweep(/*spec_gpus=*/1, /*allow_cpu=*/true, {1});
  EXPECT_EQ(WaitingReason(), "");
  auto cpu = Connect("cpu", 1, {}, DeviceKind::kCpuOnly);
  EXPECT_EQ(LeasedTrials(*cpu), std::vector<std::string>{"s1/t000"});
}

TEST_F(DevicePlacementTest, TheReasonNamesTheLargestConnectedWorker) {
  CreateGpuSweep(/*spec_gpus=*/4, /*allow_cpu=*/false, {4});
  EXPECT_EQ(WaitingReason(), "waiting for a worker with 4 GPUs; no worker is connected");
  auto small = Connect("small", 2);
  EXPECT_TRUE(LeasedTrials(*small).empty());
  EXPECT_EQ(WaitingReason(), "waiting for a worker with 4 GPUs; connected workers have at most 2");
}

// A CPU-only worker is not held back for a GPU trial first in line that fits on no GPU worker:
// it keeps taking the CPU trials behind it.
TEST_F(DevicePlacementTest, ACpuWorkerIsNotHeldForAGpuTrial) {
  CreateGpuSweep(/*spec_gpus=*/2, /*allow_cpu=*/false, {2, 0, 0});
  auto gpu = Connect("gpu", 1);  // Too small for t000.
  auto cpu = Connect("cpu", 2, {}, DeviceKind::kCpuOnly);
  const std::vector<std::string> want = {"s1/t001", "s1/t002"};
  std::vector<std::string> got = LeasedTrials(*cpu);
  for (const std::string& id : LeasedTrials(*gpu)) got.push_back(id);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(store_.GetTrial("s1/t000")->state(), v1::TRIAL_STATE_PENDING);
}

}  // namespace
}  // namespace augur
