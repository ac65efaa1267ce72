// DashboardApi against a real Scheduler on the in-memory store (scheduler_test_util.h): curves
// are downsampled to what was asked, served again from the cache, and read again when the trial
// moved on; unknown ids are NOT_FOUND; actions reach the scheduler.
#include "dashboard/api.h"

#include "gtest/gtest.h"
#include "scheduler/scheduler_test_util.h"

namespace augur::dashboard {
namespace {

class ApiTest : public testing::SchedulerTest {
 protected:
  void SetUp() override {
    CreateSweep(v1::POLICY_KIND_NONE, {}, 2);
    session_ = Connect("w1", 2);
    for (int i = 0; i < 2; ++i) {
      const v1::Lease l = Expect(*session_, v1::SchedulerMessage::kLease).lease();
      leases_[l.trial_id()] = l;
    }
  }
  std::shared_ptr<WorkerSession> session_;
  std::map<std::string, v1::Lease> leases_;
};

TEST_F(ApiTest, CurvesAreDownsampledAndFollowNewPoints) {
  DashboardApi api(scheduler_.get());
  SendPoints(session_, leases_["s1/t000"], 1, 40, 5.0, 1);
  scheduler_->WaitUntilIdle();
  CurveQuery q;
  q.points = 8;
  auto text = api.Curves("s1", q);
  ASSERT_TRUE(text.ok()) << text.status();
  nlohmann::json j = nlohmann::json::parse(*text);
  ASSERT_EQ(j["curves"].size(), 2u);
  const nlohmann::json& c = j["curves"][0]["short_id"] == "t000" ? j["curves"][0] : j["curves"][1];
  EXPECT_EQ(c["points_total"], 40);
  EXPECT_LE(c["x"].size(), 8u);
  EXPECT_DOUBLE_EQ(c["y"].front().get<double>(), 4.999);
  EXPECT_DOUBLE_EQ(c["y"].back().get<double>(), 4.96);

  SendPoints(session_, leases_["s1/t000"], 41, 60, 5.0, 2);
  scheduler_->WaitUntilIdle();
  q.points = 0;  // Every point.
  j = nlohmann::json::parse(*api.Curves("s1", q));
  for (const nlohmann::json& curve : j["curves"]) {
    if (curve["short_id"] == "t000") {
      EXPECT_EQ(curve["x"].size(), 60u);
    }
  }
  q.points = 8;
  q.trials = {"t000"};
  j = nlohmann::json::parse(*api.Curves("s1", q));
  ASSERT_EQ(j["curves"].size(), 1u);
  EXPECT_EQ(j["curves"][0]["points_total"], 60);  // The cached entry was refreshed.
}

// Points of the first curve of a curves answer with x in [from, to].
int PointsWithin(const nlohmann::json& answer, double from, double to) {
  int n = 0;
  for (const nlohmann::json& x : answer["curves"][0]["x"]) n += x >= from && x <= to;
  return n;
}

TEST_F(ApiTest, ANarrowRangeReturnsFinerPointsThanTheOverview) {
  DashboardApi api(scheduler_.get());
  SendPoints(session_, leases_["s1/t000"], 1, 50, 5.0, 1, 100);  // 100 tokens per step.
  SendPoints(session_, leases_["s1/t000"], 51, 100, 5.0, 2, 100);
  scheduler_->WaitUntilIdle();
  CurveQuery q;
  q.points = 20;
  q.trials = {"t000"};
  const nlohmann::json overview = nlohmann::json::parse(*api.Curves("s1", q));
  EXPECT_EQ(overview["x_range"], nullptr);
  q.x_from = 2000;  // Steps 20 to 40: a fifth of the curve.
  q.x_to = 4000;
  auto text = api.Curves("s1", q);
  ASSERT_TRUE(text.ok()) << text.status();
  const nlohmann::json zoomed = nlohmann::json::parse(*text);
  EXPECT_EQ(zoomed["x_range"], nlohmann::json::array({2000.0, 4000.0}));
  ASSERT_EQ(zoomed["curves"].size(), 1u);
  const nlohmann::json& x = zoomed["curves"][0]["x"];
  // The overview spends 20 points (5 M4 buckets) on the whole curve, the zoom 20 on the range
  // alone; on this straight curve M4 keeps each bucket's first and last point (its highest and
  // lowest): 10 points, of which 8 in the range, against 3 in the overview.
  const int coarse = PointsWithin(overview, 2000, 4000), fine = PointsWithin(zoomed, 2000, 4000);
  EXPECT_EQ(coarse, 3);
  EXPECT_EQ(fine, 8);
  EXPECT_GT(fine, coarse);
  ASSERT_LE(x.size(), 20u);
  ASSERT_GE(x.size(), 2u);
  EXPECT_EQ(zoomed["curves"][0]["points_total"], 100);
  // One point on each side of the range, so that the line reaches its edges.
  EXPECT_EQ(x.front(), 1900.0);
  EXPECT_EQ(x.back(), 4100.0);

  q.points = 0;  // Every point of the range.
  EXPECT_EQ(PointsWithin(nlohmann::json::parse(*api.Curves("s1", q)), 2000, 4000), 21);
}

TEST_F(ApiTest, UnknownSweepOrTrialIsNotFound) {
  DashboardApi api(scheduler_.get());
  EXPECT_EQ(api.Sweep("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(api.Trial("s1", "t999", 100).status().code(), absl::StatusCode::kNotFound);
  auto t = api.Trial("s1", "t001", 100);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)["row"]["short_id"], "t001");
}

TEST_F(ApiTest, ActionsReachTheSchedulerAndNameWhoAsked) {
  DashboardApi api(scheduler_.get());
  auto done = api.Act("s1", "t001", TrialAction::kStop, "looks bad", "alice via the dashboard");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ((*done)["trial"]["state"], "cancelled");  // A stop by hand.
  EXPECT_EQ(api.Act("s1", "other/t001", TrialAction::kStop, "", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto tagged = api.Tag("s1", {"baseline"}, {}, "alice");
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_EQ((*tagged)["sweep"]["tags"], nlohmann::json::array({"baseline"}));
}

}  // namespace
}  // namespace augur::dashboard
