// A Sobol low-discrepancy sequence in up to kMaxDims dimensions, with an optional seeded
// random digital shift (XOR of each coordinate with a per-dimension random word).
//
// Construction: each dimension has a primitive polynomial over GF(2) of degree s with inner
// coefficients a_1..a_{s-1} and initial odd numbers m_1..m_s < 2^k; further m_k follow the
// recurrence m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^s m_{k-s} ^ m_{k-s}, and the direction
// numbers are v_k = m_k / 2^k. Points are generated in Gray-code order, so the first 2^k points
// are a (t, k, d)-net: in every dimension they put exactly one point in each interval
// [j/2^k, (j+1)/2^k). A digital shift keeps that property.
//
// Not thread-safe; cheap to copy.
#ifndef AUGUR_SCHEDULER_SOBOL_H_
#define AUGUR_SCHEDULER_SOBOL_H_

#include <array>
#include <cstdint>
#include <vector>

namespace augur {

class SobolSequence {
 public:
  static constexpr int kMaxDims = 6;
  static constexpr int kBits = 32;

  // `dims` in [1, kMaxDims] (else aborts: a programmer error). `scramble` false gives the plain
  // sequence starting at the origin; true XORs every coordinate with words drawn from `seed`.
  SobolSequence(int dims, bool scramble, uint64_t seed);

  // The next point, each coordinate in (0, 1): the 32-bit coordinate plus half an ulp, so that
  // no point lies on an interval edge (nor at 0, where a log scale would break).
  std::vector<double> Next();
  // The raw 32-bit coordinates of the next point (Next() without the conversion).
  std::vector<uint32_t> NextBits();

 private:
  int dims_;
  uint64_t index_ = 0;  // Points generated so far.
  std::vector<std::array<uint32_t, kBits>> directions_;
  std::vector<uint32_t> state_;
  std::vector<uint32_t> shift_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SOBOL_H_
