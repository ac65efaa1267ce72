// A test fixture for CLI tests against a real scheduler: starts augur-scheduler on a fresh store
// and submits tests/data/tiny_sweep.yaml through `augur submit`.
#ifndef AUGUR_TESTS_CLI_SCHEDULER_FIXTURE_H_
#define AUGUR_TESTS_CLI_SCHEDULER_FIXTURE_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_runner.h"
#include "tests/harness.h"

namespace augur::cli_test {

class SchedulerFixture : public ::testing::Test {
 protected:
  // `name` names the temporary folder of the store.
  explicit SchedulerFixture(std::string name) : name_(std::move(name)), tmp_(name_) {}

  void SetUp() override {
    auto p = augur::testing::StartScheduler(tmp_.File("augur.db"), &address_);
    ASSERT_TRUE(p.ok()) << p.status();
    scheduler_ = std::move(*p);
    spec_ = (SourceDir() / "tests/data/tiny_sweep.yaml").string();
  }

  // Submits the tiny spec; its JSON answer (sweep_id, planned_trials, ...).
  nlohmann::json SubmitJson() {
    Result r = Augur(WithPathCheck({"submit", spec_, "--output", "json"}), address_);
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  const std::string name_;
  const augur::testing::TempDir tmp_;  // The store; removed after the scheduler below ends.
  std::string address_;
  std::unique_ptr<augur::testing::Proc> scheduler_;
  std::string spec_;
};

}  // namespace augur::cli_test

#endif  // AUGUR_TESTS_CLI_SCHEDULER_FIXTURE_H_
