#include "scheduler/sobol.h"

#include <cstdint>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

using ::testing::ElementsAre;

TEST(SobolTest, PlainSequenceStartsWithTheKnownPoints) {
  SobolSequence s(2, /*scramble=*/false, 0);
  std::vector<std::vector<uint32_t>> first;
  for (int i = 0; i < 4; ++i) first.push_back(s.NextBits());
  // Gray-code order: 0, 1/2, 3/4, 1/4 in the first dimension; 0, 1/2, 1/4, 3/4 in the second.
  EXPECT_THAT(first[0], ElementsAre(0u, 0u));
  EXPECT_THAT(first[1], ElementsAre(0x80000000u, 0x80000000u));
  EXPECT_THAT(first[2], ElementsAre(0xC0000000u, 0x40000000u));
  EXPECT_THAT(first[3], ElementsAre(0x40000000u, 0xC0000000u));
}

// The first 2^k points put exactly one point in each interval [j/2^k, (j+1)/2^k) of every
// dimension, scrambled or not.
TEST(SobolTest, FirstPowerOfTwoPointsStratifyEveryDimension) {
  for (bool scramble : {false, true}) {
    for (int k = 1; k <= 10; ++k) {
      SobolSequence s(SobolSequence::kMaxDims, scramble, 1234);
      const int n = 1 << k;
      std::vector<std::set<uint32_t>> cells(SobolSequence::kMaxDims);
      for (int i = 0; i < n; ++i) {
        std::vector<double> p = s.Next();
        for (int d = 0; d < SobolSequence::kMaxDims; ++d) {
          ASSERT_GT(p[d], 0.0);
          ASSERT_LT(p[d], 1.0);
          cells[d].insert(static_cast<uint32_t>(p[d] * n));
        }
      }
      for (int d = 0; d < SobolSequence::kMaxDims; ++d) {
        EXPECT_EQ(cells[d].size(), static_cast<size_t>(n))
            << "dimension " << d << ", 2^" << k << " points, scramble " << scramble;
      }
    }
  }
}

// Dimensions 1 and 2 form a (0, m, 2)-net: every dyadic box of area 2^-m holds one point.
TEST(SobolTest, FirstTwoDimensionsFormAZeroNet) {
  constexpr int m = 6;
  SobolSequence s(2, /*scramble=*/true, 7);
  std::vector<std::vector<uint32_t>> points;
  for (int i = 0; i < (1 << m); ++i) points.push_back(s.NextBits());
  for (int a = 0; a <= m; ++a) {
    const int b = m - a;
    std::set<std::pair<uint32_t, uint32_t>> boxes;
    for (const auto& p : points) {
      boxes.emplace(a == 0 ? 0 : p[0] >> (32 - a), b == 0 ? 0 : p[1] >> (32 - b));
    }
    EXPECT_EQ(boxes.size(), static_cast<size_t>(1 << m)) << "boxes 2^-" << a << " x 2^-" << b;
  }
}

TEST(SobolTest, ScrambleIsDeterministicPerSeed) {
  SobolSequence a(3, true, 42), b(3, true, 42), c(3, true, 43);
  for (int i = 0; i < 16; ++i) {
    const auto pa = a.Next();
    EXPECT_EQ(pa, b.Next());
    if (i == 0) {
      EXPECT_NE(pa, c.Next());
    }
  }
}

}  // namespace
}  // namespace augur
