#include "cli/script_json.h"

#include <limits>

#include "augur/v1/sweep.pb.h"
#include "gtest/gtest.h"

namespace augur::cli {
namespace {

TEST(ScriptJsonTest, NumbersAreNumbersAndEnumsShortNames) {
  v1::Sweep sweep;
  sweep.set_sweep_id("s-1");
  sweep.set_state(v1::Sweep::STATE_CANCELLED);
  sweep.set_tokens_full(4749312);
  sweep.set_created_unix_ms(1'700'000'000'123);
  sweep.mutable_spec()->add_seeds(0);
  sweep.mutable_spec()->add_seeds(7);
  sweep.mutable_spec()->mutable_search()->set_method(v1::SEARCH_METHOD_SOBOL);
  (*sweep.mutable_trial_counts())["TRIAL_STATE_PENDING"] = 3;
  const nlohmann::json j = ScriptJson(sweep);
  EXPECT_EQ(j["tokens_full"], 4749312);
  EXPECT_TRUE(j["tokens_full"].is_number_integer());
  EXPECT_EQ(j["created_unix_ms"].get<int64_t>(), 1'700'000'000'123);
  EXPECT_EQ(j["state"], "cancelled");
  EXPECT_EQ(j["spec"]["seeds"], nlohmann::json::array({0, 7}));
  EXPECT_EQ(j["spec"]["search"]["method"], "sobol");
  EXPECT_EQ(j["trial_counts"]["pending"], 3);
  EXPECT_EQ(j["tokens_spent"], 0) << "defaults are printed";
  EXPECT_EQ(j["best_trial_id"], "");
  EXPECT_TRUE(j["tags"].is_array());
  EXPECT_FALSE(j["spec"].contains("data")) << "unset messages are left out";
}

TEST(ScriptJsonTest, NonFiniteLossesAreNull) {
  v1::LossPoint p;
  p.set_train_loss(std::numeric_limits<double>::quiet_NaN());
  p.set_val_loss(std::numeric_limits<double>::infinity());
  p.set_lr(0.5);
  const nlohmann::json j = ScriptJson(p);
  EXPECT_TRUE(j["train_loss"].is_null());
  EXPECT_TRUE(j["val_loss"].is_null());
  EXPECT_EQ(j["lr"], 0.5);
}

TEST(ScriptJsonTest, ShortEnumNamesDropTheSharedPrefix) {
  EXPECT_EQ(ShortEnumName(*v1::TrialState_descriptor()->FindValueByNumber(v1::TRIAL_STATE_RUNNING)),
            "running");
  EXPECT_EQ(
      ShortEnumName(*v1::DecisionAction_descriptor()->FindValueByNumber(v1::DECISION_ACTION_STOP)),
      "stop");
  EXPECT_EQ(ShortEnumName(*v1::PolicyKind_descriptor()->FindValueByNumber(v1::POLICY_KIND_TOP_K)),
            "top_k");
}

}  // namespace
}  // namespace augur::cli
