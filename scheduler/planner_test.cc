#include "scheduler/planner.h"

#include <cmath>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/model_params.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

using ::testing::HasSubstr;

v1::ModelSize Size(const std::string& name, int width, bool reference_only = false) {
  v1::ModelSize s;
  s.set_name(name);
  s.set_reference_only(reference_only);
  v1::ModelShape* shape = s.mutable_shape();
  shape->set_width(width);
  shape->set_depth(2);
  shape->set_heads(4);
  shape->set_context_tokens(64);
  shape->set_vocab_size(256);
  shape->set_base_width(128);
  shape->set_mlp_ratio(4);
  return s;
}

v1::SearchDimension Values(v1::SearchParameter p, std::vector<double> values) {
  v1::SearchDimension d;
  d.set_parameter(p);
  for (double v : values) d.add_values(v);
  return d;
}

v1::SearchDimension Range(v1::SearchParameter p, double min, double max, bool log, int points) {
  v1::SearchDimension d;
  d.set_parameter(p);
  d.set_min(min);
  d.set_max(max);
  d.set_log_scale(log);
  d.set_grid_points(points);
  return d;
}

// Two sizes, a 3-value LR grid, no stopping policy (so no reference runs).
v1::SweepSpec BaseSpec() {
  v1::SweepSpec spec;
  spec.set_name("test");
  *spec.add_sizes() = Size("w128", 128);
  *spec.add_sizes() = Size("w256", 256);
  spec.mutable_data()->set_path("/data/kjv.txt");
  spec.set_tokens_per_param(20);
  spec.mutable_schedule()->set_shape(v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  spec.mutable_schedule()->set_warmup_fraction(0.1);
  spec.mutable_optimizer()->set_peak_lr(0.01);
  spec.mutable_optimizer()->set_weight_decay(0.1);
  spec.set_batch_sequences(8);
  spec.mutable_search()->set_method(v1::SEARCH_METHOD_GRID);
  *spec.mutable_search()->add_dimensions() =
      Values(v1::SEARCH_PARAMETER_PEAK_LR, {0.003, 0.01, 0.03});
  spec.mutable_policy()->set_kind(v1::POLICY_KIND_NONE);
  spec.add_seeds(0);
  spec.set_eval_interval_steps(50);
  spec.set_eval_sequences(16);
  spec.set_checkpoint_interval_steps(100);
  spec.mutable_resources()->set_cpu_threads(2);
  return spec;
}

GptShape Gpt(const v1::ModelShape& s) {
  GptShape g;
  g.width = s.width();
  g.depth = s.depth();
  g.heads = s.heads();
  g.context_tokens = s.context_tokens();
  g.vocab_size = s.vocab_size();
  g.mlp_ratio = s.mlp_ratio();
  return g;
}

std::vector<v1::Trial> PlanOrDie(const v1::SweepSpec& spec, PlannerOptions options = {}) {
  auto trials = PlanSweep(spec, "s1", options);
  EXPECT_TRUE(trials.ok()) << trials.status();
  return trials.ok() ? *trials : std::vector<v1::Trial>();
}

TEST(PlannerTest, GridIsTheCartesianProductPerSizeAndSeed) {
  v1::SweepSpec spec = BaseSpec();
  *spec.mutable_search()->add_dimensions() = Values(v1::SEARCH_PARAMETER_BATCH_SEQUENCES, {8, 16});
  spec.add_seeds(7);
  const auto trials = PlanOrDie(spec);
  ASSERT_EQ(trials.size(), 3u * 2u * 2u * 2u);
  EXPECT_EQ(trials[0].trial_id(), "s1/t000");
  EXPECT_EQ(trials[23].trial_id(), "s1/t023");
  std::set<std::tuple<double, int, std::string, uint64_t>> combos;
  for (const auto& t : trials) {
    EXPECT_EQ(t.sweep_id(), "s1");
    EXPECT_EQ(t.state(), v1::TRIAL_STATE_PENDING);
    EXPECT_FALSE(t.is_reference());
    const auto& h = t.hyperparameters();
    combos.emplace(h.peak_lr(), h.batch_sequences(), h.model_size(), h.seed());
  }
  EXPECT_EQ(combos.size(), trials.size()) << "every combination exactly once";
  // Sizes outermost, then the points (last dimension fastest), then seeds.
  EXPECT_EQ(trials[0].hyperparameters().model_size(), "w128");
  EXPECT_EQ(trials[1].hyperparameters().seed(), 7u);
  EXPECT_EQ(trials[2].hyperparameters().batch_sequences(), 16);
  EXPECT_DOUBLE_EQ(trials[4].hyperparameters().peak_lr(), 0.01);
  EXPECT_EQ(trials[12].hyperparameters().model_size(), "w256");
}

TEST(PlannerTest, GridRangesAreSpacedLinearlyOrLogarithmically) {
  v1::SweepSpec spec = BaseSpec();
  spec.mutable_search()->clear_dimensions();
  *spec.mutable_search()->add_dimensions() =
      Range(v1::SEARCH_PARAMETER_PEAK_LR, 1e-4, 1e-1, true, 4);
  *spec.mutable_search()->add_dimensions() = Range(v1::SEARCH_PARAMETER_TAU, 0.1, 0.3, false, 0);
  spec.mutable_sizes()->RemoveLast();
  const auto trials = PlanOrDie(spec);
  ASSERT_EQ(trials.size(), 4u * 3u);  // grid_points 0 means 3.
  const double lrs[] = {1e-4, 1e-3, 1e-2, 1e-1};
  const double taus[] = {0.1, 0.2, 0.3};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) {
      const auto& h = trials[i * 3 + j].hyperparameters();
      EXPECT_NEAR(h.peak_lr(), lrs[i], 1e-12 * lrs[i] + 1e-15);
      EXPECT_NEAR(h.tau(), taus[j], 1e-12);
    }
  }
}

TEST(PlannerTest, StepsControlsAndConfigFollowTheBudget) {
  PlannerOptions options;
  options.micro_batch_sequences = 4;
  const v1::SweepSpec spec = BaseSpec();
  const auto trials = PlanOrDie(spec, options);
  ASSERT_EQ(trials.size(), 6u);
  for (const auto& t : trials) {
    const v1::ModelShape& shape = t.config().model();
    const int64_t batch_tokens = 8 * 64;
    const int64_t steps = StepsForBudget(Gpt(shape), 20, batch_tokens);
    const GptParamCount params = CountGptParams(Gpt(shape));
    EXPECT_EQ(t.config().total_steps(), steps);
    EXPECT_EQ(t.controls().total_steps(), steps);
    EXPECT_EQ(t.controls().batch_tokens(), batch_tokens);
    EXPECT_EQ(t.controls().params(), params.non_embedding);
    EXPECT_EQ(t.controls().params_with_embeddings(), params.total);
    EXPECT_DOUBLE_EQ(t.controls().tokens_per_param(), 20);
    EXPECT_EQ(t.controls().schedule().shape(), v1::SCHEDULE_SHAPE_LINEAR_DECAY);
    EXPECT_DOUBLE_EQ(t.controls().peak_lr(), t.hyperparameters().peak_lr());
    EXPECT_DOUBLE_EQ(t.config().optimizer().peak_lr(), t.hyperparameters().peak_lr());
    EXPECT_DOUBLE_EQ(t.config().optimizer().weight_decay(), 0.1);
    EXPECT_EQ(t.config().micro_batch_sequences(), 4);
    EXPECT_EQ(t.config().data().path(), "/data/kjv.txt");
    EXPECT_EQ(t.config().eval_interval_steps(), 50);
    EXPECT_EQ(t.config().checkpoint_interval_steps(), 100);
    EXPECT_EQ(t.config().resources().cpu_threads(), 2);
    EXPECT_DOUBLE_EQ(t.config().tokens_per_param(), 20);
  }
  // The larger size trains for more steps at the same TPP.
  EXPECT_GT(trials[3].config().total_steps(), 3 * trials[0].config().total_steps());
}

TEST(PlannerTest, TauSolvesWeightDecayAndBack) {
  v1::SweepSpec spec = BaseSpec();
  *spec.mutable_search()->add_dimensions() = Values(v1::SEARCH_PARAMETER_TAU, {0.05, 0.2});
  spec.mutable_optimizer()->clear_weight_decay();
  const auto trials = PlanOrDie(spec);
  ASSERT_EQ(trials.size(), 12u);
  for (const auto& t : trials) {
    const auto& h = t.hyperparameters();
    const v1::ModelShape& shape = t.config().model();
    const double eta = h.peak_lr() * 128.0 / shape.width();  // muP hidden LR.
    EXPECT_DOUBLE_EQ(HiddenLr(h.peak_lr(), shape.base_width(), shape.width()), eta);
    const int64_t steps = t.config().total_steps();
    const double tokens = static_cast<double>(steps) * t.controls().batch_tokens();
    // lambda = B / (eta * D * tau).
    EXPECT_NEAR(h.weight_decay(), t.controls().batch_tokens() / (eta * tokens * h.tau()),
                1e-12 * h.weight_decay());
    EXPECT_NEAR(TauForWeightDecay(h.weight_decay(), eta, steps), h.tau(), 1e-12);
    EXPECT_DOUBLE_EQ(t.controls().tau(), h.tau());
    // The trainer gets tau alone and solves the same weight decay itself.
    EXPECT_DOUBLE_EQ(t.config().optimizer().tau(), h.tau());
    EXPECT_EQ(t.config().optimizer().weight_decay(), 0.0);
  }
  // Same tau, larger model: the hidden LR halves and steps grow, so weight decay changes.
  EXPECT_NE(trials[0].hyperparameters().weight_decay(), trials[6].hyperparameters().weight_decay());

  // Searching weight decay reports the implied tau, and solving back gives the decay.
  v1::SweepSpec wd = BaseSpec();
  *wd.mutable_search()->add_dimensions() = Values(v1::SEARCH_PARAMETER_WEIGHT_DECAY, {0.0, 0.1});
  for (const auto& t : PlanOrDie(wd)) {
    const auto& h = t.hyperparameters();
    const double eta = HiddenLr(h.peak_lr(), 128, t.config().model().width());
    if (h.weight_decay() == 0) {
      EXPECT_EQ(h.tau(), 0) << "no decay: tau reported as 0";
      continue;
    }
    EXPECT_NEAR(h.tau(), 1.0 / (eta * h.weight_decay() * t.config().total_steps()), 1e-12);
    EXPECT_NEAR(WeightDecayForTau(h.tau(), eta, t.config().total_steps()), h.weight_decay(), 1e-12);
  }

  // optimizer.tau without a tau search solves weight decay too.
  v1::SweepSpec given = BaseSpec();
  given.mutable_optimizer()->set_tau(0.1);
  given.mutable_optimizer()->clear_weight_decay();
  const auto fixed = PlanOrDie(given);
  EXPECT_DOUBLE_EQ(fixed[0].controls().tau(), 0.1);
  EXPECT_GT(fixed[0].hyperparameters().weight_decay(), 0);
}

TEST(PlannerTest, RandomAndSobolAreDeterministicAndInRange) {
  for (auto method : {v1::SEARCH_METHOD_RANDOM, v1::SEARCH_METHOD_SOBOL}) {
    v1::SweepSpec spec = BaseSpec();
    spec.mutable_sizes()->RemoveLast();
    spec.mutable_search()->set_method(method);
    spec.mutable_search()->set_trials(64);
    spec.mutable_search()->set_sample_seed(5);
    spec.mutable_search()->clear_dimensions();
    *spec.mutable_search()->add_dimensions() =
        Range(v1::SEARCH_PARAMETER_PEAK_LR, 1e-4, 1e-1, true, 0);
    *spec.mutable_search()->add_dimensions() = Range(v1::SEARCH_PARAMETER_TAU, 0.05, 0.3, false, 0);
    *spec.mutable_search()->add_dimensions() =
        Range(v1::SEARCH_PARAMETER_BATCH_SEQUENCES, 4, 32, true, 0);
    PlannerOptions options;
    options.micro_batch_sequences = 4;
    const auto a = PlanOrDie(spec, options);
    const auto b = PlanOrDie(spec, options);
    spec.mutable_search()->set_sample_seed(6);
    const auto c = PlanOrDie(spec, options);
    ASSERT_EQ(a.size(), 64u);
    int below_geometric_mean = 0;
    bool differs = false;
    for (size_t i = 0; i < a.size(); ++i) {
      const auto& h = a[i].hyperparameters();
      EXPECT_EQ(h.peak_lr(), b[i].hyperparameters().peak_lr());
      EXPECT_EQ(h.tau(), b[i].hyperparameters().tau());
      differs |= h.peak_lr() != c[i].hyperparameters().peak_lr();
      EXPECT_GE(h.peak_lr(), 1e-4);
      EXPECT_LE(h.peak_lr(), 1e-1);
      EXPECT_GE(h.tau(), 0.05);
      EXPECT_LE(h.tau(), 0.3);
      EXPECT_GE(h.batch_sequences(), 4);
      EXPECT_LE(h.batch_sequences(), 32);
      EXPECT_EQ(h.batch_sequences() % 4, 0) << "rounded to the micro batch";
      below_geometric_mean += h.peak_lr() < std::sqrt(1e-4 * 1e-1);
    }
    EXPECT_TRUE(differs) << "another sample_seed gives other points";
    // Log-uniform: about half below the geometric mean (Sobol: exactly half).
    EXPECT_GE(below_geometric_mean, 20);
    EXPECT_LE(below_geometric_mean, 44);
    if (method == v1::SEARCH_METHOD_SOBOL) {
      EXPECT_EQ(below_geometric_mean, 32);
    }
  }
}

}  // namespace
}  // namespace augur
