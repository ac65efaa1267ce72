#include "scheduler/fault_injecting_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/memory_store.h"
#include "scheduler/store_test_util.h"

namespace augur::testing_util {
namespace {

using ::testing::ElementsAre;

TEST(FaultInjectingStoreTest, FailsTheNthCallAndNothingChanges) {
  FakeClock clock;
  MemoryStore memory(clock);
  FaultInjectingStore store(&memory);
  store.FailCall(2, absl::UnavailableError("disk gone"));
  ASSERT_TRUE(store.GetSweep("s1").status().code() == absl::StatusCode::kNotFound);  // Call 1.
  absl::Status failed = store.CreateSweep(MakeSweep("s1"), MakeTrials("s1", 2));     // Call 2.
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(memory.GetSweep("s1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.CreateSweep(MakeSweep("s1"), MakeTrials("s1", 2)).ok());  // Call 3.
  EXPECT_EQ(store.calls(), 3);
  EXPECT_THAT(store.failed_operations(), ElementsAre("CreateSweep"));
}

TEST(FaultInjectingStoreTest, FailsAnOperationAChosenNumberOfTimes) {
  FakeClock clock;
  MemoryStore memory(clock);
  FaultInjectingStore store(&memory);
  ASSERT_TRUE(store.CreateSweep(MakeSweep("s1"), MakeTrials("s1", 1)).ok());
  auto lease = store.AcquireLease("w1", absl::Seconds(10));
  ASSERT_TRUE(lease.ok() && lease->has_value());
  store.FailOperation("ApplyBatch", absl::InternalError("io"), 2);
  PointWrite write{"s1/t000", (*lease)->lease.fencing_token(), Points(1, 3)};
  EXPECT_EQ(store.AppendPoints(write).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store.AppendPoints(write).status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(memory.ReadPoints("s1/t000", 0)->empty());
  auto ok = store.AppendPoints(write);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->inserted, 3);

  store.FailOperation("GetTrial", absl::UnavailableError("x"), -1);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(store.GetTrial("s1/t000").ok());
  store.Clear();
  EXPECT_TRUE(store.GetTrial("s1/t000").ok());
}

}  // namespace
}  // namespace augur::testing_util
