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
