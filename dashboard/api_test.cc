// DashboardApi against a real Scheduler on the in-memory store (scheduler_test_util.h): curves
// are downsampled to what was asked, served again from the cache, and read again when the trial
// moved on; unknown ids are NOT_FOUND; actions reach the scheduler; a large sweep is served a
// page at a time.
#include "dashboard/api.h"

#include "absl/strings/str_cat.h"
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

// A sweep of 20,000 pending trials and no worker: the ranking is the planning order, so that
// rank r is trial r - 1 ("s1/t00" + index, as MakeTrial names them).
class ApiPagingTest : public testing::SchedulerTest {
 protected:
  static constexpr int kTrials = 20000;
  void SetUp() override { CreateSweep(v1::POLICY_KIND_NONE, {}, kTrials); }
  static std::string ShortId(int index) { return absl::StrCat("t00", index); }
};

TEST_F(ApiPagingTest, SweepIsServedOnePageAtATimeWithTheWholeSweepsSummary) {
  DashboardApi api(scheduler_.get());
  auto first = api.Sweep("s1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)["total_trials"], kTrials);
  EXPECT_EQ((*first)["sweep"]["trial_counts"]["pending"], kTrials);
  ASSERT_EQ((*first)["rows"].size(), static_cast<size_t>(kDefaultTrialPage));
  EXPECT_EQ((*first)["offset"], 0);
  EXPECT_EQ((*first)["next_offset"], kDefaultTrialPage);

  auto middle = api.Sweep("s1", {12345, 50});
  ASSERT_TRUE(middle.ok()) << middle.status();
  const nlohmann::json& rows = (*middle)["rows"];
  ASSERT_EQ(rows.size(), 50u);
  EXPECT_EQ(rows[0]["rank"], 12346);
  EXPECT_EQ(rows[0]["short_id"], ShortId(12345));
  EXPECT_EQ(rows[49]["short_id"], ShortId(12394));
  EXPECT_EQ((*middle)["next_offset"], 12395);
  // Nothing of another page is in this one's text.
  const std::string text = middle->dump();
  EXPECT_EQ(text.find("\"" + ShortId(12344) + "\""), std::string::npos);
  EXPECT_EQ(text.find("\"" + ShortId(12395) + "\""), std::string::npos);
  EXPECT_EQ(text.find("\"" + ShortId(0) + "\""), std::string::npos);
  EXPECT_LT(text.size(), first->dump().size());

  auto last = api.Sweep("s1", {kTrials - 10, 100});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ((*last)["rows"].size(), 10u);
  EXPECT_EQ((*last)["next_offset"], nullptr);
  EXPECT_TRUE((*api.Sweep("s1", {kTrials + 5, 100}))["rows"].empty());  // Past the end.
}

TEST_F(ApiPagingTest, PageSizeIsCappedAndBadPagesAreInvalid) {
  DashboardApi api(scheduler_.get());
  auto big = api.Sweep("s1", {0, 5 * kMaxTrialPage});
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ((*big)["rows"].size(), static_cast<size_t>(kMaxTrialPage));
  EXPECT_EQ((*big)["page_size"], kMaxTrialPage);
  for (const TrialPageQuery bad : {TrialPageQuery{-1, 10}, TrialPageQuery{0, 0}}) {
    const absl::Status s = api.Sweep("s1", bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find(bad.offset < 0 ? "offset" : "page_size"), std::string::npos) << s;
  }
  CurveQuery curves;
  curves.page = {0, 0};
  EXPECT_EQ(api.Curves("s1", curves).status().code(), absl::StatusCode::kInvalidArgument);
  curves.page = {};
  curves.trials.assign(kMaxTrialPage + 1, "t001");
  EXPECT_EQ(api.Curves("s1", curves).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ApiPagingTest, CurvesWithoutATrialListAreThePagesTrials) {
  DashboardApi api(scheduler_.get());
  CurveQuery q;
  q.page = {300, 20};
  auto text = api.Curves("s1", q);
  ASSERT_TRUE(text.ok()) << text.status();
  const nlohmann::json j = nlohmann::json::parse(*text);
  ASSERT_EQ(j["curves"].size(), 20u);
  EXPECT_EQ(j["curves"][0]["short_id"], ShortId(300));
  EXPECT_EQ(j["curves"][19]["short_id"], ShortId(319));
  EXPECT_EQ(j["page"]["offset"], 300);
  EXPECT_EQ(nlohmann::json::parse(*api.Curves("s1", CurveQuery{}))["curves"].size(),
            static_cast<size_t>(kDefaultTrialPage));
  // A list is read trial by trial; ids of no trial of the sweep are left out.
  q.trials = {ShortId(19999), ShortId(7), "other/t001", "t999999"};
  const nlohmann::json listed = nlohmann::json::parse(*api.Curves("s1", q));
  ASSERT_EQ(listed["curves"].size(), 2u);
  EXPECT_EQ(listed["curves"][0]["short_id"], ShortId(19999));
  EXPECT_EQ(listed["page"], nullptr);
  q.trials = {"t001"};
  EXPECT_EQ(api.Curves("nope", q).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ApiPagingTest, TrialIsReadAloneWithItsDecisions) {
  DashboardApi api(scheduler_.get());
  v1::Decision d;
  d.set_trial_id("s1/" + ShortId(15000));
  d.set_action(v1::DECISION_ACTION_CONTINUE);
  d.set_milestone_fraction(0.25);
  ASSERT_TRUE(store_.RecordDecision(d).ok());
  d.set_trial_id("s1/" + ShortId(15001));  // Another trial's.
  ASSERT_TRUE(store_.RecordDecision(d).ok());
  auto t = api.Trial("s1", ShortId(15000), 100);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)["row"]["short_id"], ShortId(15000));
  EXPECT_EQ((*t)["row"]["rank"], nullptr);
  ASSERT_EQ((*t)["decisions"].size(), 1u);
  EXPECT_EQ((*t)["decisions"][0]["trial_id"], "s1/" + ShortId(15000));
  EXPECT_EQ(api.Trial("nope", ShortId(1), 100).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace augur::dashboard
