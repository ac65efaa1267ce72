// Store contract, part 3: several leases per call and k-GPU placement (AcquireLeases). Runs
// against every backend (store_typed_test.h), and through the fault-injecting wrapper.
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/fault_injecting_store.h"
#include "scheduler/store_typed_test.h"

namespace augur::testing_util {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

template <typename F>
class StorePlacementTest : public StoreTest<F> {
 protected:
  // Creates sweep `id` whose i-th trial needs gpus[i] GPUs (0 = unset, which means 1).
  void CreateSweepWithGpus(const std::string& id, const std::vector<int>& gpus) {
    std::vector<v1::Trial> trials;
    for (int i = 0; i < static_cast<int>(gpus.size()); ++i) {
      v1::Trial t = MakeTrial(id, i);
      if (gpus[i] > 0) t.mutable_config()->mutable_resources()->set_gpus(gpus[i]);
      trials.push_back(t);
    }
    ASSERT_TRUE(this->store().CreateSweep(MakeSweep(id), trials).ok());
  }

  std::vector<LeaseGrant> Leases(const std::string& worker, int free_slots, int max_leases) {
    auto grants = this->store().AcquireLeases(worker, absl::Seconds(30), free_slots, max_leases);
    EXPECT_TRUE(grants.ok()) << grants.status();
    return grants.ok() ? *grants : std::vector<LeaseGrant>();
  }
};
TYPED_TEST_SUITE(StorePlacementTest, StoreBackends);

std::vector<std::string> Ids(const std::vector<LeaseGrant>& grants) {
  std::vector<std::string> ids;
  for (const LeaseGrant& g : grants) ids.push_back(g.lease.trial_id());
  return ids;
}

TYPED_TEST(StorePlacementTest, SeveralGrantsInOneCallKeepLeaseOrder) {
  this->CreateSweep("a", 3);
  this->clock_.Advance(absl::Seconds(1));
  this->CreateSweep("b", 2, /*references=*/1);
  std::vector<LeaseGrant> grants = this->Leases("w1", 100, 4);
  // max_leases bounds the call; the reference of the newer sweep still comes first.
  EXPECT_THAT(Ids(grants), ElementsAre("b/t000", "a/t000", "a/t001", "a/t002"));
  for (const LeaseGrant& g : grants) {
    EXPECT_EQ(g.lease.fencing_token(), 1);
    EXPECT_EQ(g.lease.expires_unix_ms(), this->clock_.NowUnixMs() + 30'000);
    EXPECT_EQ(g.trial.state(), v1::TRIAL_STATE_RUNNING);
    EXPECT_EQ(g.trial.worker_id(), "w1");
    auto stored = this->store().GetTrial(g.lease.trial_id());
    EXPECT_EQ(stored->state(), v1::TRIAL_STATE_RUNNING);
  }
  auto held = this->store().RenewLeases("w1", absl::Seconds(30));
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->size(), 4u);
  EXPECT_THAT(Ids(this->Leases("w2", 100, 10)), ElementsAre("b/t001"));
  EXPECT_THAT(this->Leases("w3", 100, 10), IsEmpty()) << "nothing pending";
  EXPECT_EQ(this->store().AcquireLeases("", absl::Seconds(30), 1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StorePlacementTest, SkipsTrialsThatNeedMoreGpusThanAreFree) {
  // t000 needs 4 GPUs, t001 1 (unset), t002 2, t003 1.
  this->CreateSweepWithGpus("s1", {4, 0, 2, 1});
  // 2 free: t000 does not fit, t001 does (1 left), t002 no longer fits, t003 does.
  std::vector<LeaseGrant> two = this->Leases("w2", 2, 10);
  EXPECT_THAT(Ids(two), ElementsAre("s1/t001", "s1/t003"));
  EXPECT_EQ(this->store().GetTrial("s1/t000")->state(), v1::TRIAL_STATE_PENDING);
  // 4 free: the 4-GPU trial first (planning order), and nothing fits in what is left.
  std::vector<LeaseGrant> four = this->Leases("w4", 4, 10);
  ASSERT_THAT(Ids(four), ElementsAre("s1/t000"));
  EXPECT_EQ(four[0].lease.config().resources().gpus(), 4);
  EXPECT_THAT(this->Leases("w1", 1, 10), IsEmpty()) << "t002 needs 2";
  EXPECT_THAT(this->Leases("w0", 0, 10), IsEmpty());
  EXPECT_THAT(Ids(this->Leases("w3", 3, 10)), ElementsAre("s1/t002"));
}

TYPED_TEST(StorePlacementTest, AcquireLeaseTakesOneTrialWhateverItsNeed) {
  this->CreateSweepWithGpus("s1", {8, 1});
  auto one = this->store().AcquireLease("w1", absl::Seconds(30));
  ASSERT_TRUE(one.ok() && one->has_value()) << one.status();
  EXPECT_EQ((*one)->lease.trial_id(), "s1/t000");
  EXPECT_EQ((*one)->trial.worker_id(), "w1");
}

TYPED_TEST(StorePlacementTest, ExpiredLeaseIsGrantedAgainWithANewToken) {
  this->CreateSweepWithGpus("s1", {2, 2});
  ASSERT_EQ(this->Leases("w1", 4, 10).size(), 2u);
  this->clock_.Advance(absl::Seconds(31));
  ASSERT_EQ(this->store().ExpireLeases()->size(), 2u);
  std::vector<LeaseGrant> again = this->Leases("w2", 2, 10);
  ASSERT_THAT(Ids(again), ElementsAre("s1/t000"));
  EXPECT_EQ(again[0].lease.fencing_token(), 2);
}

TEST(FaultInjectingStorePlacementTest, WrapsAcquireLeases) {
  FakeClock clock;
  MemoryStore memory(clock);
  FaultInjectingStore store(&memory);
  ASSERT_TRUE(store.CreateSweep(MakeSweep("s1"), MakeTrials("s1", 3)).ok());
  store.FailOperation("AcquireLeases", absl::UnavailableError("disk"), 2);
  EXPECT_EQ(store.AcquireLeases("w1", absl::Seconds(30), 2, 2).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.AcquireLease("w1", absl::Seconds(30)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(memory.GetTrial("s1/t000")->state(), v1::TRIAL_STATE_PENDING);
  auto grants = store.AcquireLeases("w1", absl::Seconds(30), 2, 2);
  ASSERT_TRUE(grants.ok()) << grants.status();
  EXPECT_THAT(Ids(*grants), ElementsAre("s1/t000", "s1/t001"));
  EXPECT_THAT(store.failed_operations(), ElementsAre("AcquireLeases", "AcquireLeases"));
}

}  // namespace
}  // namespace augur::testing_util
