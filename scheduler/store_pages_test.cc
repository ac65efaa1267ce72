// Store contract, part 6: reads that stay bounded however large the sweep — a slice of the
// ranking (ranking.h's order, read from indexed keys), decisions by offset, trials in
// planning order by page token, and the head of a curve with its last point. Runs against every
// backend (store_typed_test.h).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/store_typed_test.h"

namespace augur::testing_util {
namespace {

using ::testing::ElementsAre;

template <typename F>
class StorePagesTest : public StoreTest<F> {};
TYPED_TEST_SUITE(StorePagesTest, StoreBackends);

std::vector<std::string> Ids(const std::vector<v1::Trial>& trials) {
  std::vector<std::string> ids;
  for (const v1::Trial& t : trials) ids.push_back(t.trial_id());
  return ids;
}

TYPED_TEST(StorePagesTest, ASliceOfTheRankingIsTheWholeRankingCutAtItsOffset) {
  // t000 a reference run; t001..t005 trials.
  this->CreateSweep("s1", 6, /*references=*/1);
  std::vector<LeaseGrant> g;
  for (int i = 0; i < 4; ++i) g.push_back(this->Lease());  // t000 (reference first) .. t003.
  ASSERT_EQ(g[3].trial.trial_id(), "s1/t003");
  // Current losses: t001 3.0, t002 2.0, t003 1.0 (then cancelled: it ended early).
  const double loss[] = {0, 3.0, 2.0, 1.0};
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(this->store().AppendPoints(this->Write(g[i], {Point(5, loss[i])})).ok());
  }
  ASSERT_TRUE(
      this->store()
          .TransitionTrial("s1/t003", v1::TRIAL_STATE_RUNNING, v1::TRIAL_STATE_CANCELLED, "by hand")
          .ok());
  // Contenders by loss (unknown last, in planning order), then ended early, then references.
  const std::vector<std::string> order = {"s1/t002", "s1/t001", "s1/t004",
                                          "s1/t005", "s1/t003", "s1/t000"};

  auto all = this->store().ReadRanking("s1", {});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Ids(all->trials), order);
  EXPECT_EQ(all->total_trials, 6);
  EXPECT_THAT(Ids(all->running), ElementsAre("s1/t000", "s1/t001", "s1/t002"));
  EXPECT_EQ(all->sweep.trial_counts().at("TRIAL_STATE_PENDING"), 2);

  std::vector<std::string> paged;
  for (int64_t offset = 0; offset < 8; offset += 4) {
    auto page = this->store().ReadRanking("s1", {offset, 4, 0, 0});
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->total_trials, 6);
    EXPECT_TRUE(page->decisions.empty());
    for (const std::string& id : Ids(page->trials)) paged.push_back(id);
  }
  EXPECT_EQ(paged, order);
  EXPECT_TRUE(this->store().ReadRanking("s1", {0, 0, 0, 0})->trials.empty());
  EXPECT_EQ(this->store().ReadRanking("nope", {}).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorePagesTest, DecisionsComeOldestFirstFromTheirOffset) {
  this->CreateSweep("s1", 3);
  for (int i = 0; i < 3; ++i) {
    v1::Decision d;
    d.set_trial_id("s1/t00" + std::to_string(i));
    d.set_milestone_fraction(0.1);
    d.set_action(v1::DECISION_ACTION_CONTINUE);
    ASSERT_TRUE(this->store().RecordDecision(d).ok());
  }
  auto page = this->store().ReadRanking("s1", {0, 0, 1, 1});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->total_decisions, 3);
  ASSERT_EQ(page->decisions.size(), 1u);
  EXPECT_EQ(page->decisions[0].trial_id(), "s1/t001");
}

TYPED_TEST(StorePagesTest, TrialPagesWalkThePlanningOrderOnceWhateverChanges) {
  this->CreateSweep("s1", 7);
  this->CreateSweep("s2", 2);
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = this->store().ListTrialsPage("s1", 3, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& id : Ids(page->trials)) seen.push_back(id);
    token = page->next_page_token;
    if (++pages == 1) this->Lease();  // A state change between pages moves nothing.
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("s1/t000", "s1/t001", "s1/t002", "s1/t003", "s1/t004", "s1/t005",
                                "s1/t006"));
  EXPECT_EQ(this->store().ListTrialsPage("s1", 3, "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store().ListTrialsPage("nope", 3, "").status().code(),
            absl::StatusCode::kNotFound);
}

// The pages of one listing may share the sweep's summary (SqliteStore keeps the last one while
// no row changes), but never past a change: each page's summary and total are the store's now.
TYPED_TEST(StorePagesTest, EachPagesSummaryFollowsTheChangesBetweenPages) {
  this->CreateSweep("s1", 4);
  this->CreateSweep("s2", 2);
  auto first = this->store().ReadRanking("s1", {0, 2, 0, 0});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->sweep.trial_counts().at("TRIAL_STATE_PENDING"), 4);
  EXPECT_EQ(first->total_trials, 4);
  const LeaseGrant g = this->Lease();  // s1/t000: RUNNING.
  ASSERT_TRUE(this->store().AppendPoints(this->Write(g, {Point(5, 2.0)})).ok());
  auto other = this->store().GetSweep("s2");  // Another sweep's summary in between.
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->trial_counts().at("TRIAL_STATE_PENDING"), 2);
  auto second = this->store().ReadRanking("s1", {2, 2, 0, 0});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->sweep.trial_counts().at("TRIAL_STATE_PENDING"), 3);
  EXPECT_EQ(second->sweep.trial_counts().at("TRIAL_STATE_RUNNING"), 1);
  EXPECT_EQ(second->sweep.best_trial_id(), "s1/t000");
  EXPECT_EQ(second->total_trials, 4);
  ASSERT_TRUE(
      this->store()
          .TransitionTrial("s1/t000", v1::TRIAL_STATE_RUNNING, v1::TRIAL_STATE_COMPLETED, "")
          .ok());
  auto third = this->store().GetSweep("s1");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->trial_counts().at("TRIAL_STATE_COMPLETED"), 1);
  EXPECT_FALSE(third->trial_counts().contains("TRIAL_STATE_RUNNING"));
}

TYPED_TEST(StorePagesTest, TheHeadOfACurveIsItsPointsUpToTheFractionAndItsLastPoint) {
  this->CreateSweep("s1", 1);
  LeaseGrant g = this->Lease();
  ASSERT_TRUE(
      this->store().AppendPoints(this->Write(g, Points(1, 60))).ok());  // Fraction step/100.
  auto steps = [&](double up_to) {
    auto head = this->store().ReadPointsHead("s1/t000", up_to);
    EXPECT_TRUE(head.ok()) << head.status();
    std::vector<int64_t> out;
    if (head.ok()) {
      for (const v1::LossPoint& p : *head) out.push_back(p.step());
    }
    return out;
  };
  EXPECT_THAT(steps(0.035), ElementsAre(1, 2, 3, 60));
  EXPECT_THAT(steps(0.0), ElementsAre(60));
  EXPECT_EQ(steps(0.59).size(), 60u);  // Up to 59, then the last.
  EXPECT_EQ(steps(0.6).size(), 60u);   // Nothing past the fraction.
  auto last = this->store().ReadPointsHead("s1/t000", 0.01);
  ASSERT_TRUE(last.ok());
  EXPECT_DOUBLE_EQ(last->back().train_loss(), 5.0 - 0.01 * 60);
  EXPECT_EQ(this->store().ReadPointsHead("s1/nope", 1).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace augur::testing_util
