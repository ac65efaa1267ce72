#include "worker/point_buffer.h"

#include <thread>

#include "gtest/gtest.h"

namespace augur {
namespace {

v1::LossPoint Point(int64_t step) {
  v1::LossPoint p;
  p.set_step(step);
  p.set_train_loss(5.0 - 0.01 * step);
  return p;
}

TEST(PointBuffer, BatchesAreBoundedOrderedAndSentOnce) {
  PointBuffer buf(100);
  for (int s = 1; s <= 7; ++s) ASSERT_TRUE(buf.Add("t1", 4, Point(s), absl::ZeroDuration()));
  ASSERT_TRUE(buf.Add("t2", 9, Point(1), absl::ZeroDuration()));
  auto batches = buf.TakeBatches(3);
  ASSERT_EQ(batches.size(), 4u);  // t1: 3+3+1, t2: 1.
  EXPECT_EQ(batches[0].trial_id(), "t1");
  EXPECT_EQ(batches[0].fencing_token(), 4);
  EXPECT_EQ(batches[0].points_size(), 3);
  EXPECT_EQ(batches[2].points(0).step(), 7);
  EXPECT_EQ(batches[3].fencing_token(), 9);
  EXPECT_LT(batches[0].sequence(), batches[1].sequence());
  EXPECT_TRUE(buf.TakeBatches(3).empty());  // Nothing new.
  EXPECT_EQ(buf.size(), 8u);                // Sent but unacknowledged points stay.
}

TEST(PointBuffer, AckFreesAndResendCoversOnlyUnacknowledged) {
  PointBuffer buf(100);
  for (int s = 1; s <= 5; ++s) ASSERT_TRUE(buf.Add("t", 1, Point(s), absl::ZeroDuration()));
  ASSERT_EQ(buf.TakeBatches(10).size(), 1u);
  buf.Ack("t", 3);
  EXPECT_EQ(buf.size(), 2u);
  buf.ResendAll();
  auto again = buf.TakeBatches(10);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_EQ(again[0].points_size(), 2);
  EXPECT_EQ(again[0].points(0).step(), 4);
  buf.Ack("t", 5);
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_TRUE(buf.WaitUntilAcked("t", absl::ZeroDuration()));
}

TEST(PointBuffer, FullBufferBlocksUntilAnAckMakesRoom) {
  PointBuffer buf(2);
  ASSERT_TRUE(buf.Add("t", 1, Point(1), absl::ZeroDuration()));
  ASSERT_TRUE(buf.Add("t", 1, Point(2), absl::ZeroDuration()));
  EXPECT_FALSE(buf.Add("t", 1, Point(3), absl::Milliseconds(10)));
  std::thread acker([&] {
    buf.TakeBatches(10);
    buf.Ack("t", 1);
  });
  EXPECT_TRUE(buf.Add("t", 1, Point(3), absl::Seconds(30)));
  acker.join();
  EXPECT_EQ(buf.size(), 2u);
}

TEST(PointBuffer, NewLeaseDiscardsTheOldLeasesPoints) {
  PointBuffer buf(10);
  ASSERT_TRUE(buf.Add("t", 1, Point(1), absl::ZeroDuration()));
  ASSERT_TRUE(buf.Add("t", 2, Point(1), absl::ZeroDuration()));
  auto b = buf.TakeBatches(10);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].fencing_token(), 2);
  EXPECT_EQ(buf.size(), 1u);
  buf.Drop("t");
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_TRUE(buf.TakeBatches(10).empty());
}

TEST(PointBuffer, WaitUntilAckedTimesOutWhilePointsAreOutstanding) {
  PointBuffer buf(10);
  ASSERT_TRUE(buf.Add("t", 1, Point(1), absl::ZeroDuration()));
  EXPECT_FALSE(buf.WaitUntilAcked("t", absl::Milliseconds(5)));
}

}  // namespace
}  // namespace augur
