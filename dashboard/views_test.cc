#include "dashboard/views.h"

#include "gtest/gtest.h"

namespace augur::dashboard {
namespace {

v1::RankingRow Row(const std::string& id, v1::TrialState state, double lr) {
  v1::RankingRow row;
  row.set_rank(1);
  v1::Trial* t = row.mutable_trial();
  t->set_trial_id("s1/" + id);
  t->set_state(state);
  t->mutable_hyperparameters()->set_peak_lr(lr);
  t->mutable_hyperparameters()->set_model_size("w32");
  t->mutable_last_point()->set_step(50);
  t->mutable_last_point()->set_fraction(0.5);
  t->mutable_last_point()->set_train_loss(3.25);
  return row;
}

TEST(ViewsTest, RoundKeepsSignificantDigits) {
  EXPECT_DOUBLE_EQ(Round(3.14159265, 5), 3.1416);
  EXPECT_DOUBLE_EQ(Round(0.000123456789, 3), 0.000123);
  EXPECT_DOUBLE_EQ(Round(123456789.0, 4), 123500000.0);
  EXPECT_EQ(Round(0), 0);
}

TEST(ViewsTest, FinalLossIsActualForCompletedAndPredictedForStopped) {
  v1::Trial done = Row("t000", v1::TRIAL_STATE_COMPLETED, 0.01).trial();
  done.mutable_last_point()->set_val_loss(3.5);
  EXPECT_EQ(FinalJson(done)["kind"], "actual");
  EXPECT_DOUBLE_EQ(FinalJson(done)["loss"].get<double>(), 3.5);  // Validation loss first.

  v1::Trial stopped = Row("t001", v1::TRIAL_STATE_STOPPED, 0.02).trial();
  EXPECT_TRUE(FinalJson(stopped).is_null());  // No prediction: nothing to plot.
  stopped.mutable_prediction()->set_final_loss(3.1);
  stopped.mutable_prediction()->mutable_final_loss_interval()->set_low(3.0);
  stopped.mutable_prediction()->mutable_final_loss_interval()->set_high(3.2);
  const nlohmann::json f = FinalJson(stopped);
  EXPECT_EQ(f["kind"], "predicted");
  EXPECT_DOUBLE_EQ(f["low"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(f["high"].get<double>(), 3.2);
}

TEST(ViewsTest, SweepJsonHasRankingSearchedParametersAndTimedEvents) {
  v1::GetSweepResponse sweep;
  sweep.mutable_sweep()->set_sweep_id("s1");
  sweep.mutable_sweep()->mutable_spec()->set_source_yaml("name: big\n");
  *sweep.add_ranking() = Row("t000", v1::TRIAL_STATE_RUNNING, 0.01);
  v1::RankingRow stopped = Row("t001", v1::TRIAL_STATE_STOPPED, 0.03);
  stopped.set_rank(2);
  v1::Decision* d = stopped.mutable_trial()->mutable_last_decision();
  d->set_trial_id("s1/t001");
  d->set_action(v1::DECISION_ACTION_STOP);
  d->set_milestone_fraction(0.3);
  d->set_reason("behind the leader");
  d->set_decided_unix_ms(1000);
  *sweep.add_decisions() = *d;
  *sweep.add_ranking() = stopped;
  v1::RankingRow failed = Row("t002", v1::TRIAL_STATE_FAILED, 0.06);
  failed.mutable_trial()->set_message("out of memory");
  failed.mutable_trial()->set_state_changed_unix_ms(2000);  // After the stop.
  *sweep.add_ranking() = failed;
  // Paused before the store kept times.
  *sweep.add_ranking() = Row("t003", v1::TRIAL_STATE_PAUSED, 0.07);

  sweep.set_total_trials(4);
  const nlohmann::json j = SweepJson(sweep, 0, 100);
  EXPECT_FALSE(j["sweep"]["spec"].contains("source_yaml") &&
               !j["sweep"]["spec"]["source_yaml"].get<std::string>().empty());
  EXPECT_EQ(j["searched"], nlohmann::json::array({"peak_lr"}));
  ASSERT_EQ(j["rows"].size(), 4u);
  EXPECT_EQ(j["rows"][0]["short_id"], "t000");
  EXPECT_EQ(j["rows"][0]["state"], "running");
  EXPECT_DOUBLE_EQ(j["rows"][0]["progress"].get<double>(), 0.5);
  EXPECT_EQ(j["rows"][1]["why_stopped"], "at 30%: behind the leader");
  EXPECT_DOUBLE_EQ(j["rows"][1]["ended_at_fraction"].get<double>(), 0.5);
  // Newest first: the failure (with its time), the stop, then the pause without a time.
  ASSERT_EQ(j["events"].size(), 3u);
  EXPECT_EQ(j["events"][0]["kind"], "failed");
  EXPECT_EQ(j["events"][0]["unix_ms"], 2000);
  EXPECT_EQ(j["events"][0]["reason"], "out of memory");
  EXPECT_EQ(j["events"][1]["kind"], "stop");
  EXPECT_EQ(j["events"][1]["unix_ms"], 1000);
  EXPECT_EQ(j["events"][1]["reason"], "behind the leader");
  EXPECT_EQ(j["events"][2]["kind"], "paused");
  EXPECT_EQ(j["events"][2]["unix_ms"], 0);
  EXPECT_EQ(j["next_offset"], nullptr);  // Every row is on this page.
}

// A page in the middle names where the next starts; the last names none.
TEST(ViewsTest, SweepJsonSaysWhereTheNextPageStarts) {
  v1::GetSweepResponse page;
  page.set_total_trials(250);
  for (int i = 0; i < 100; ++i) {
    v1::RankingRow row = Row("t" + std::to_string(100 + i), v1::TRIAL_STATE_PENDING, 0.01);
    row.set_rank(101 + i);
    *page.add_ranking() = row;
  }
  nlohmann::json j = SweepJson(page, 100, 100);
  EXPECT_EQ(j["offset"], 100);
  EXPECT_EQ(j["page_size"], 100);
  EXPECT_EQ(j["next_offset"], 200);
  EXPECT_EQ(j["rows"][0]["rank"], 101);
  page.mutable_ranking()->DeleteSubrange(50, 50);
  j = SweepJson(page, 200, 100);
  EXPECT_EQ(j["next_offset"], nullptr);
  EXPECT_EQ(j["rows"].size(), 50u);
}

TEST(ViewsTest, TrialJsonHasItsDecisionsAndNoRank) {
  const v1::Trial t = Row("t001", v1::TRIAL_STATE_STOPPED, 0.03).trial();
  v1::Decision d;
  d.set_trial_id(t.trial_id());
  d.set_action(v1::DECISION_ACTION_STOP);
  d.set_milestone_fraction(0.3);
  const nlohmann::json j = TrialJson(t, {d}, nullptr);
  EXPECT_EQ(j["row"]["rank"], nullptr);
  EXPECT_EQ(j["row"]["short_id"], "t001");
  ASSERT_EQ(j["decisions"].size(), 1u);
  EXPECT_DOUBLE_EQ(j["decisions"][0]["milestone_fraction"].get<double>(), 0.3);
}

}  // namespace
}  // namespace augur::dashboard
