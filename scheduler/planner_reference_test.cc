// Planner: collapse reference runs and spec validation.
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/model_params.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/planner.h"

namespace augur {
namespace {

using ::testing::HasSubstr;

v1::ModelSize Size(const std::string& name, int width, int heads = 4, bool reference_only = false) {
  v1::ModelSize s;
  s.set_name(name);
  s.set_reference_only(reference_only);
  v1::ModelShape* shape = s.mutable_shape();
  shape->set_width(width);
  shape->set_depth(3);
  shape->set_heads(heads);
  shape->set_context_tokens(64);
  shape->set_vocab_size(256);
  shape->set_base_width(128);
  shape->set_mlp_ratio(4);
  return s;
}

// Two sizes; LR x tau grid; COLLAPSE with no model file, so references are planned.
v1::SweepSpec CollapseSpec() {
  v1::SweepSpec spec;
  spec.set_name("collapse");
  *spec.add_sizes() = Size("w128", 128);
  *spec.add_sizes() = Size("w256", 256);
  spec.set_tokens_per_param(20);
  spec.mutable_schedule()->set_shape(v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  spec.mutable_optimizer()->set_peak_lr(0.01);
  spec.set_batch_sequences(8);
  v1::SearchDimension* lr = spec.mutable_search()->add_dimensions();
  lr->set_parameter(v1::SEARCH_PARAMETER_PEAK_LR);
  for (double v : {0.003, 0.01, 0.03}) lr->add_values(v);
  v1::SearchDimension* tau = spec.mutable_search()->add_dimensions();
  tau->set_parameter(v1::SEARCH_PARAMETER_TAU);
  for (double v : {0.05, 0.2}) tau->add_values(v);
  spec.mutable_policy()->set_kind(v1::POLICY_KIND_COLLAPSE);
  spec.mutable_policy()->add_milestone_fractions(0.1);
  spec.mutable_policy()->add_milestone_fractions(0.3);
  spec.add_seeds(3);
  spec.add_seeds(4);
  return spec;
}

TEST(PlannerReferenceTest, OneSmallerReferencePerCollapseGroupPlannedFirst) {
  const v1::SweepSpec spec = CollapseSpec();
  auto planned = PlanSweep(spec, "s9");
  ASSERT_TRUE(planned.ok()) << planned.status();
  const auto& trials = *planned;
  ASSERT_EQ(trials.size(), 2u + 2u * 3u * 2u * 2u);
  std::map<double, int> searched_per_tau;
  for (size_t i = 2; i < trials.size(); ++i) {
    EXPECT_FALSE(trials[i].is_reference());
    searched_per_tau[trials[i].controls().tau()] += 1;
  }
  EXPECT_EQ(searched_per_tau.size(), 2u);
  const double taus[] = {0.05, 0.2};
  for (int r = 0; r < 2; ++r) {
    const v1::Trial& ref = trials[r];
    EXPECT_TRUE(ref.is_reference());
    EXPECT_EQ(ref.trial_id(), "s9/t00" + std::to_string(r));
    EXPECT_EQ(ref.hyperparameters().model_size(), "ref-w64");
    const v1::ModelShape& shape = ref.config().model();
    EXPECT_EQ(shape.width(), 64);  // 0.5 x 128.
    EXPECT_EQ(shape.depth(), 3);
    EXPECT_EQ(shape.heads(), 4);
    EXPECT_EQ(shape.base_width(), 128);
    EXPECT_DOUBLE_EQ(ref.controls().tau(), taus[r]);
    EXPECT_DOUBLE_EQ(ref.controls().tokens_per_param(), 20);
    EXPECT_EQ(ref.controls().schedule().shape(), v1::SCHEDULE_SHAPE_LINEAR_DECAY);
    EXPECT_DOUBLE_EQ(ref.hyperparameters().peak_lr(), 0.01) << "median LR of the group";
    EXPECT_EQ(ref.hyperparameters().seed(), 3u);
    GptShape g{64, 3, 4, 64, 256, 4.0};
    const int64_t steps = StepsForBudget(g, 20, 8 * 64);
    EXPECT_EQ(ref.config().total_steps(), steps);
    // Weight decay re-solved for the reference's own steps and muP LR (0.01 * 128 / 64).
    EXPECT_NEAR(ref.hyperparameters().weight_decay(), 1.0 / (0.02 * taus[r] * steps), 1e-12);
    EXPECT_LT(ref.controls().params(), trials[2].controls().params());
  }
}

TEST(PlannerReferenceTest, ReferenceOnlySizesReplaceTheDerivedWidth) {
  v1::SweepSpec spec = CollapseSpec();
  *spec.add_sizes() = Size("proxy", 96, 4, /*reference_only=*/true);
  auto planned = PlanSweep(spec, "s");
  ASSERT_TRUE(planned.ok()) << planned.status();
  ASSERT_EQ(planned->size(), 2u + 24u);
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ((*planned)[r].hyperparameters().model_size(), "proxy");
    EXPECT_EQ((*planned)[r].config().model().width(), 96);
  }
  for (size_t i = 2; i < planned->size(); ++i) {
    EXPECT_NE((*planned)[i].hyperparameters().model_size(), "proxy") << "not searched";
  }
}

TEST(PlannerReferenceTest, TheReferenceIsAlwaysASmallerModel) {
  v1::SweepSpec spec = CollapseSpec();
  auto width_heads = [&](int width, int heads,
                         double ratio) -> absl::StatusOr<std::pair<int, int>> {
    spec.mutable_sizes()->Clear();
    *spec.add_sizes() = Size("w", width, heads);
    spec.mutable_policy()->set_reference_width_ratio(ratio);
    auto planned = PlanSweep(spec, "s");
    if (!planned.ok()) return planned.status();
    EXPECT_TRUE((*planned)[0].is_reference());
    const auto& m = (*planned)[0].config().model();
    return std::make_pair(m.width(), m.heads());
  };
  // Rounded to the heads: 0.3 x 200 = 60 -> 64, 8 heads of 8.
  EXPECT_EQ(*width_heads(200, 8, 0.3), std::make_pair(64, 8));
  // 20 is below 8 heads of 8: 1 head of the trials' dimension 25 instead.
  EXPECT_EQ(*width_heads(200, 8, 0.1), std::make_pair(25, 1));
  // The quickstart's family at width 32 (4 heads of 8): half is 2 heads of 8, not width 32 again
  // (the floor of 8 heads x 8 used to give the trials' own model).
  EXPECT_EQ(*width_heads(32, 4, 0.5), std::make_pair(16, 2));
  // Nothing smaller exists: refused with the field and the ways out, never a copy of a trial.
  for (auto [width, heads, ratio] : {std::tuple{8, 1, 0.5}, std::tuple{64, 4, 1.0}}) {
    auto r = width_heads(width, heads, ratio);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("policy.reference_width_ratio"));
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("reference_only"));
  }
}

TEST(PlannerReferenceTest, NoReferencesWithAModelFileOrAnotherPolicy) {
  v1::SweepSpec spec = CollapseSpec();
  spec.mutable_policy()->set_model_path("/models/form.json");
  EXPECT_EQ(PlanSweep(spec, "s")->size(), 24u);
  spec = CollapseSpec();
  spec.mutable_policy()->set_kind(v1::POLICY_KIND_ASHA);
  EXPECT_EQ(PlanSweep(spec, "s")->size(), 24u);
}

TEST(PlannerReferenceTest, SearchedWeightDecayGroupsByImpliedTau) {
  v1::SweepSpec spec = CollapseSpec();
  spec.mutable_search()->mutable_dimensions(1)->set_parameter(v1::SEARCH_PARAMETER_WEIGHT_DECAY);
  spec.mutable_sizes()->RemoveLast();
  spec.clear_seeds();
  auto planned = PlanSweep(spec, "s");
  ASSERT_TRUE(planned.ok()) << planned.status();
  // 3 LRs x 2 decays give 6 distinct taus (eta * lambda differ), so 6 references.
  std::vector<double> ref_taus;
  for (const auto& t : *planned) {
    if (t.is_reference()) ref_taus.push_back(t.controls().tau());
  }
  ASSERT_EQ(ref_taus.size(), 6u);
  for (size_t i = 6; i < planned->size(); ++i) {
    const double tau = (*planned)[i].controls().tau();
    bool matched = false;
    for (double r : ref_taus) matched |= r == RoundSignificant3(tau);
    EXPECT_TRUE(matched) << "trial tau " << tau << " has a reference";
  }
  EXPECT_EQ((*planned)[6].hyperparameters().seed(), 0u) << "seeds default to [0]";
}

TEST(PlannerReferenceTest, RoundSignificant3) {
  EXPECT_DOUBLE_EQ(RoundSignificant3(0.123456), 0.123);
  EXPECT_DOUBLE_EQ(RoundSignificant3(123456.0), 123000.0);
  EXPECT_DOUBLE_EQ(RoundSignificant3(0.0009996), 0.001);
  EXPECT_DOUBLE_EQ(RoundSignificant3(0), 0);
}

struct BadCase {
  std::string name;
  std::function<void(v1::SweepSpec&, PlannerOptions&)> mutate;
  std::string field;
};

TEST(PlannerValidationTest, EachBadSpecNamesItsField) {
  const std::vector<BadCase> cases = {
      {"empty search", [](auto& s, auto&) { s.mutable_search()->clear_dimensions(); },
       "search.dimensions"},
      {"min > max",
       [](auto& s, auto&) {
         auto* d = s.mutable_search()->mutable_dimensions(0);
         d->clear_values();
         d->set_min(0.1);
         d->set_max(0.01);
       },
       "search.dimensions[0].min"},
      {"non-positive LR",
       [](auto& s, auto&) { s.mutable_search()->mutable_dimensions(0)->set_values(1, -0.01); },
       "search.dimensions[0].values[1]"},
      {"log range with min 0",
       [](auto& s, auto&) {
         auto* d = s.mutable_search()->mutable_dimensions(1);
         d->clear_values();
         d->set_min(0);
         d->set_max(0.3);
         d->set_log_scale(true);
       },
       "search.dimensions[1].min"},
      {"batch not divisible by micro batch",
       [](auto& s, auto& o) {
         s.set_batch_sequences(10);
         o.micro_batch_sequences = 4;
       },
       "batch_sequences"},
      {"width not divisible by heads",
       [](auto& s, auto&) { s.mutable_sizes(1)->mutable_shape()->set_heads(6); },
       "sizes[1].shape.heads"},
      {"TPP <= 0", [](auto& s, auto&) { s.set_tokens_per_param(0); }, "tokens_per_param"},
      {"milestones not ascending",
       [](auto& s, auto&) { s.mutable_policy()->set_milestone_fractions(1, 0.05); },
       "policy.milestone_fractions[1]"},
      {"milestone at 1",
       [](auto& s, auto&) { s.mutable_policy()->set_milestone_fractions(1, 1.0); },
       "policy.milestone_fractions[1]"},
      {"fixed LR not positive",
       [](auto& s, auto&) {
         s.mutable_search()->mutable_dimensions()->DeleteSubrange(0, 1);
         s.mutable_optimizer()->set_peak_lr(0);
       },
       "optimizer.peak_lr"},
      {"random without trials",
       [](auto& s, auto&) { s.mutable_search()->set_method(v1::SEARCH_METHOD_RANDOM); },
       "search.trials"},
      {"parameter searched twice",
       [](auto& s, auto&) { *s.mutable_search()->add_dimensions() = s.search().dimensions(0); },
       "search.dimensions[2].parameter"},
      {"no sizes", [](auto& s, auto&) { s.clear_sizes(); }, "sizes"},
      {"reference ratio > 1",
       [](auto& s, auto&) { s.mutable_policy()->set_reference_width_ratio(1.5); },
       "policy.reference_width_ratio"},
  };
  ASSERT_TRUE(PlanSweep(CollapseSpec(), "s").ok());
  for (const BadCase& c : cases) {
    v1::SweepSpec spec = CollapseSpec();
    PlannerOptions options;
    c.mutate(spec, options);
    auto planned = PlanSweep(spec, "s", options);
    ASSERT_FALSE(planned.ok()) << c.name;
    EXPECT_EQ(planned.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(planned.status().message()), HasSubstr(c.field + ":")) << c.name;
  }
}

}  // namespace
}  // namespace augur
