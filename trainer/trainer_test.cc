#include "trainer/trainer.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/test_temp_dir.h"
#include "gtest/gtest.h"
#include "trainer/test_util.h"

namespace augur::trainer {
namespace {

struct Curve {
  std::vector<double> loss;
  std::vector<std::pair<int64_t, double>> val;
  std::vector<double> lr;
};

RunOptions Recording(Curve* curve) {
  RunOptions o;
  o.on_step = [curve](const StepReport& r) {
    curve->loss.push_back(r.train_loss);
    curve->lr.push_back(r.lr);
    if (r.val_loss) curve->val.emplace_back(r.step, *r.val_loss);
    return true;
  };
  return o;
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus_ = CorpusSlicePath();
    if (corpus_.empty()) GTEST_SKIP() << "no default corpus (bible-kjv)";
  }
  std::string corpus_;
};

TEST_F(TrainerTest, LossFallsOnRealText) {
  TrialSpec spec = TinyTrial(corpus_);
  spec.total_steps = 80;
  spec.eval_interval_steps = 40;
  Curve curve;
  auto result = RunTrial(spec, Recording(&curve));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, RunOutcome::kCompleted);
  ASSERT_EQ(curve.loss.size(), 80u);
  EXPECT_NEAR(curve.loss.front(), std::log(256.0), 0.3);  // Uniform over bytes at init.
  ASSERT_EQ(curve.val.size(), 2u);
  // Below the byte unigram entropy of English (about 3.0 nats) means context is used.
  EXPECT_LT(curve.val.back().second, 2.9);
  EXPECT_LT(curve.val.back().second, curve.val.front().second);
  EXPECT_DOUBLE_EQ(curve.lr.back(), 1e-2 * (1 - 79.5 / 80) / 0.9);  // D2Z at the midpoint.
  EXPECT_GT(result->tokens_per_second, 0);
}

TEST_F(TrainerTest, ResumedRunEqualsUninterruptedBitForBit) {
  TrialSpec spec = TinyTrial(corpus_);
  spec.total_steps = 24;
  spec.eval_interval_steps = 5;
  spec.optimizer.tau = 0.5;  // Weight decay from tau, so decay is exercised.
  spec.optimizer.weight_decay = 0;
  spec.micro_batch_sequences = 4;
  Curve full;
  ASSERT_TRUE(RunTrial(spec, Recording(&full)).ok());

  const augur::testing::TempDir tmp("resume");
  const std::string& dir = tmp.path();
  Curve first, second;
  RunOptions o1 = Recording(&first);
  o1.checkpoint_dir = dir;
  o1.stop_after_step = 11;
  auto r1 = RunTrial(spec, o1);
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(r1->outcome, RunOutcome::kStopped);
  ASSERT_FALSE(r1->checkpoint_path.empty());
  RunOptions o2 = Recording(&second);
  o2.resume_from = r1->checkpoint_path;
  // Resumed with the stop it was stopped at (a milestone wait leased again): no step at all.
  Curve none;
  RunOptions again = Recording(&none);
  again.resume_from = r1->checkpoint_path;
  again.stop_after_step = 11;
  auto r_again = RunTrial(spec, again);
  ASSERT_TRUE(r_again.ok()) << r_again.status();
  EXPECT_EQ(r_again->outcome, RunOutcome::kStopped);
  EXPECT_EQ(r_again->steps_done, 11);
  EXPECT_TRUE(none.loss.empty());
  auto r2 = RunTrial(spec, o2);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r2->outcome, RunOutcome::kCompleted);

  std::vector<double> joined = first.loss;
  joined.insert(joined.end(), second.loss.begin(), second.loss.end());
  ASSERT_EQ(joined.size(), full.loss.size());
  for (size_t i = 0; i < joined.size(); ++i) EXPECT_EQ(joined[i], full.loss[i]) << "step " << i + 1;
  auto joined_val = first.val;
  joined_val.insert(joined_val.end(), second.val.begin(), second.val.end());
  EXPECT_EQ(joined_val, full.val);

  // A checkpoint of another trial is refused.
  spec.seed = 99;
  EXPECT_EQ(RunTrial(spec, o2).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(TrainerTest, DivergingLearningRateEndsAsDiverged) {
  TrialSpec spec = TinyTrial(corpus_);
  spec.optimizer.peak_lr = 1e30;
  spec.optimizer.grad_clip_norm = 0;
  spec.schedule.warmup_fraction = 0;
  Curve curve;
  auto result = RunTrial(spec, Recording(&curve));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, RunOutcome::kDiverged);
  EXPECT_LT(result->steps_done, spec.total_steps);
  ASSERT_FALSE(curve.loss.empty());
  EXPECT_FALSE(std::isfinite(curve.loss.back()));
  EXPECT_NE(result->message.find("non-finite"), std::string::npos) << result->message;
}

// Runs `spec` as ranks 0 and 1 of a Gloo group, one thread each, in a fresh directory named
// after `name`; `options_for(rank)` gives each rank's options (the reducer is set here).
std::array<absl::StatusOr<RunResult>, 2> RunOnTwoGlooRanks(
    const TrialSpec& spec, const std::string& name,
    const std::function<RunOptions(int)>& options_for) {
  const augur::testing::TempDir tmp(name);
  const std::string& dir = tmp.path();
  std::array<absl::StatusOr<RunResult>, 2> results;
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] {
      auto reducer = MakeGlooReducer(rank, 2, dir);
      if (!reducer.ok()) {
        results[rank] = reducer.status();
        return;
      }
      RunOptions o = options_for(rank);
      o.reducer = reducer->get();
      results[rank] = RunTrial(spec, o);
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

TEST_F(TrainerTest, TwoGlooRanksMatchOneRankWithTheSameGlobalBatch) {
  TrialSpec spec = TinyTrial(corpus_);
  spec.total_steps = 12;
  spec.eval_interval_steps = 6;
  Curve single;
  ASSERT_TRUE(RunTrial(spec, Recording(&single)).ok());

  Curve ranks[2];
  const auto runs =
      RunOnTwoGlooRanks(spec, "augur_gloo", [&](int rank) { return Recording(&ranks[rank]); });
  for (int rank = 0; rank < 2; ++rank) {
    ASSERT_TRUE(runs[rank].ok()) << runs[rank].status();
    ASSERT_EQ(ranks[rank].loss.size(), single.loss.size());
    for (size_t i = 0; i < single.loss.size(); ++i) {
      EXPECT_NEAR(ranks[rank].loss[i], single.loss[i], 1e-4 * single.loss[i]) << i;
      EXPECT_EQ(ranks[rank].loss[i], ranks[0].loss[i]);  // Ranks agree exactly.
    }
    ASSERT_EQ(ranks[rank].val.size(), single.val.size());
    for (size_t i = 0; i < single.val.size(); ++i) {
      EXPECT_NEAR(ranks[rank].val[i].second, single.val[i].second, 1e-4 * single.val[i].second);
    }
  }
}

TEST_F(TrainerTest, AStopOnOneRankStopsAllRanksAtTheSameStep) {
  TrialSpec spec = TinyTrial(corpus_);
  spec.total_steps = 12;
  const auto results = RunOnTwoGlooRanks(spec, "augur_gloo_stop", [](int rank) {
    RunOptions o;
    o.on_step = [rank](const StepReport& r) { return !(rank == 1 && r.step == 4); };
    return o;
  });
  for (int rank = 0; rank < 2; ++rank) {
    ASSERT_TRUE(results[rank].ok()) << results[rank].status();
    EXPECT_EQ(results[rank]->outcome, RunOutcome::kStopped);
    EXPECT_EQ(results[rank]->steps_done, 5);  // The request travels with step 5's all-reduce.
  }
}

}  // namespace
}  // namespace augur::trainer
