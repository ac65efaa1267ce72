// Store contract, part 5: deleting, tagging and annotating sweeps, and the summary's best trial
// and tokens left. Runs against every backend (store_typed_test.h).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/store_typed_test.h"

namespace augur::testing_util {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename F>
class StoreSweepAdminTest : public StoreTest<F> {};
TYPED_TEST_SUITE(StoreSweepAdminTest, StoreBackends);

TYPED_TEST(StoreSweepAdminTest, DeleteIsRefusedWhileRunningAndRemovesEverythingAfter) {
  this->CreateSweep("s1", 3);
  this->CreateSweep("s2", 2);
  const LeaseGrant g = this->Lease();  // s1/t000, the older sweep's first.
  ASSERT_EQ(g.trial.trial_id(), "s1/t000");
  ASSERT_TRUE(this->store().AppendPoints(this->Write(g, Points(1, 5))).ok());
  v1::Decision d;
  d.set_trial_id("s1/t001");
  d.set_milestone_fraction(0.1);
  d.set_action(v1::DECISION_ACTION_CONTINUE);
  ASSERT_TRUE(this->store().RecordDecision(d).ok());

  auto refused = this->store().DeleteSweep("s1", "alice");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("running"));
  ASSERT_TRUE(this->store().GetTrial("s1/t000").ok()) << "a refused delete changes nothing";

  ASSERT_TRUE(this->store().CancelSweep("s1", "cancelled by alice").ok());
  auto deleted = this->store().DeleteSweep("s1", "alice");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 3);
  EXPECT_EQ(this->store().GetSweep("s1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().GetTrial("s1/t000").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().ReadPoints("s1/t000", 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().ListDecisions("s1").status().code(), absl::StatusCode::kNotFound);
  // The log keeps the history, with who deleted it.
  const absl::StatusOr<std::vector<StoreEvent>> events = this->store().ReadEvents(0, 0);
  ASSERT_TRUE(events.ok() && !events->empty());
  EXPECT_EQ(events->back().kind, "sweep_deleted");
  EXPECT_EQ(events->back().sweep_id, "s1");
  EXPECT_THAT(events->back().detail, HasSubstr("alice"));
  // The other sweep is untouched, and its trials can still be leased.
  EXPECT_EQ(this->store().ListTrials("s2")->size(), 2u);
  EXPECT_EQ(this->Lease().trial.trial_id(), "s2/t000");
  auto page = this->store().ListSweeps(10, "");
  ASSERT_EQ(page->sweeps.size(), 1u);
  EXPECT_EQ(page->sweeps[0].sweep_id(), "s2");
  EXPECT_EQ(this->store().DeleteSweep("s1", "alice").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreSweepAdminTest, TagsStaySortedAndUniqueAndTheNoteIsReplaced) {
  this->CreateSweep("s1", 1);
  auto tagged =
      this->store().AnnotateSweep("s1", {"tau", "baseline", "tau"}, {}, std::nullopt, "bob");
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_THAT(tagged->tags(), ElementsAre("baseline", "tau"));
  EXPECT_EQ(tagged->trial_counts().at("TRIAL_STATE_PENDING"), 1) << "returned summarized";
  auto noted = this->store().AnnotateSweep("s1", {"nightly"}, {"tau", "absent"},
                                           std::string("first"), "bob");
  ASSERT_TRUE(noted.ok());
  EXPECT_THAT(noted->tags(), ElementsAre("baseline", "nightly"));
  EXPECT_EQ(noted->note(), "first");
  EXPECT_EQ(this->store().GetSweep("s1")->note(), "first");
  EXPECT_EQ(this->store().AnnotateSweep("s1", {}, {}, std::string(""), "bob")->note(), "");
  const absl::StatusOr<std::vector<StoreEvent>> events = this->store().ReadEvents(0, 0);
  ASSERT_TRUE(events.ok() && !events->empty());
  EXPECT_EQ(events->back().kind, "sweep_annotated");
  EXPECT_THAT(events->back().detail, HasSubstr("(by bob)"));

  EXPECT_EQ(
      this->store().AnnotateSweep("s1", {"two words"}, {}, std::nullopt, "bob").status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store().AnnotateSweep("s1", {""}, {}, std::nullopt, "bob").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store().AnnotateSweep("nope", {"x"}, {}, std::nullopt, "bob").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(this->store().GetSweep("s1")->tags(), ElementsAre("baseline", "nightly"));
}

TYPED_TEST(StoreSweepAdminTest, TheSummaryNamesTheBestTrialAndTheTokensLeft) {
  this->CreateSweep("s1", 3, 1);  // t000 is a reference run.
  EXPECT_EQ(this->store().GetSweep("s1")->best_trial_id(), "") << "nothing known yet";
  EXPECT_EQ(this->store().GetSweep("s1")->tokens_left(), 3 * 100 * 1024);
  const LeaseGrant ref = this->Lease();
  const LeaseGrant a = this->Lease();
  const LeaseGrant b = this->Lease();
  ASSERT_EQ(b.trial.trial_id(), "s1/t002");
  // The reference has the lowest loss but is never the best.
  ASSERT_TRUE(this->store().AppendPoints(this->Write(ref, {Point(10, 1.0)})).ok());
  ASSERT_TRUE(this->store().AppendPoints(this->Write(a, {Point(10, 3.0)})).ok());
  ASSERT_TRUE(this->store().AppendPoints(this->Write(b, {Point(10, 2.5)})).ok());
  auto sweep = this->store().GetSweep("s1");
  EXPECT_EQ(sweep->best_trial_id(), "s1/t002");
  EXPECT_EQ(sweep->tokens_left(), 3 * (100 - 10) * 1024);
  // A trial stopped early ranks after every contender, whatever its loss.
  ASSERT_TRUE(this->store()
                  .TransitionTrial("s1/t002", v1::TRIAL_STATE_RUNNING, v1::TRIAL_STATE_STOPPED, "")
                  .ok());
  sweep = this->store().GetSweep("s1");
  EXPECT_EQ(sweep->best_trial_id(), "s1/t001");
  EXPECT_EQ(sweep->tokens_left(), 2 * (100 - 10) * 1024) << "an ended trial needs nothing more";
  EXPECT_EQ(this->store().ListSweeps(1, "")->sweeps[0].best_trial_id(), "s1/t001");
}

}  // namespace
}  // namespace augur::testing_util
