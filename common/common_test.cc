#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/model_params.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).message(), "odd");
}

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(clock.NowUnixMs() - absl::ToUnixMillis(t0), 1500);
}

TEST(RealClock, IsMonotonicEnough) {
  const absl::Time a = RealClock().Now();
  const absl::Time b = RealClock().Now();
  EXPECT_LE(a, b);
}

TEST(ModelParams, CountsMatchHandComputation) {
  // width 64, depth 2, mlp 256: per block 4*64*64 + 2*64*256 + 4*64 = 16384+32768+256.
  GptShape s{.width = 64, .depth = 2, .heads = 4, .context_tokens = 128, .vocab_size = 256};
  const GptParamCount c = CountGptParams(s);
  EXPECT_EQ(c.non_embedding, 2 * (16384 + 32768 + 256) + 128);
  EXPECT_EQ(c.total, c.non_embedding + 256 * 64 + 128 * 64 + 256 * 64);
}

TEST(ModelParams, StepsFollowTheTokenBudget) {
  GptShape s{.width = 64, .depth = 2, .heads = 4, .context_tokens = 128};
  const int64_t n = CountGptParams(s).non_embedding;
  // 20 tokens per parameter at 16 sequences of 128 tokens per step.
  EXPECT_EQ(StepsForBudget(s, 20.0, 16 * 128), (20 * n + 1024) / 2048);
  EXPECT_EQ(StepsForBudget(s, 1e-9, 2048), 1);
}

}  // namespace
}  // namespace augur
