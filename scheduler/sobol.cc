#include "scheduler/sobol.h"

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace augur {
namespace {

// Primitive polynomials and initial direction numbers of dimensions 2..kMaxDims (dimension 1
// uses m_k = 1, the van der Corput sequence). s = degree, a = inner coefficients as bits
// (a_1 first, most significant), m = m_1..m_s. These are the classic published parameters of
// Joe and Kuo's tables; they are numbers, not code.
struct Polynomial {
  int s;
  uint32_t a;
  std::array<uint64_t, 4> m;
};
constexpr Polynomial kPolynomials[SobolSequence::kMaxDims - 1] = {
    {1, 0, {1, 0, 0, 0}},  // x + 1
    {2, 1, {1, 3, 0, 0}},  // x^2 + x + 1
    {3, 1, {1, 3, 1, 0}},  // x^3 + x + 1
    {3, 2, {1, 1, 1, 0}},  // x^3 + x^2 + 1
    {4, 1, {1, 1, 3, 3}},  // x^4 + x + 1
};

std::array<uint32_t, SobolSequence::kBits> Directions(int dim) {
  constexpr int kBits = SobolSequence::kBits;
  std::array<uint64_t, kBits + 1> m{};  // m[k], k = 1..kBits.
  if (dim == 0) {
    for (int k = 1; k <= kBits; ++k) m[k] = 1;
  } else {
    const Polynomial& p = kPolynomials[dim - 1];
    for (int k = 1; k <= p.s; ++k) m[k] = p.m[k - 1];
    for (int k = p.s + 1; k <= kBits; ++k) {
      uint64_t value = (m[k - p.s] << p.s) ^ m[k - p.s];
      for (int j = 1; j < p.s; ++j) {
        const uint64_t a_j = (p.a >> (p.s - 1 - j)) & 1u;
        if (a_j) value ^= m[k - j] << j;
      }
      m[k] = value;
    }
  }
  std::array<uint32_t, kBits> v{};
  for (int k = 1; k <= kBits; ++k) v[k - 1] = static_cast<uint32_t>(m[k] << (kBits - k));
  return v;
}

// The project has no CHECK macro; misuse of this class is a programmer error.
void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "SobolSequence: %s\n", what);
  std::abort();
}

}  // namespace

SobolSequence::SobolSequence(int dims, bool scramble, uint64_t seed)
    : dims_(dims), state_(dims, 0), shift_(dims, 0) {
  Require(dims >= 1 && dims <= kMaxDims, "dims must be in [1, kMaxDims]");
  for (int d = 0; d < dims; ++d) directions_.push_back(Directions(d));
  if (scramble) {
    std::mt19937_64 rng(seed);
    for (int d = 0; d < dims; ++d) shift_[d] = static_cast<uint32_t>(rng() >> 32);
  }
}

std::vector<uint32_t> SobolSequence::NextBits() {
  if (index_ > 0) {
    // Gray-code step: flip the direction of the lowest zero bit of the previous index.
    const int c = std::countr_one(index_ - 1);
    Require(c < kBits, "sequence exhausted (2^32 points)");
    for (int d = 0; d < dims_; ++d) state_[d] ^= directions_[d][c];
  }
  ++index_;
  std::vector<uint32_t> out(dims_);
  for (int d = 0; d < dims_; ++d) out[d] = state_[d] ^ shift_[d];
  return out;
}

std::vector<double> SobolSequence::Next() {
  std::vector<double> out;
  for (uint32_t bits : NextBits()) out.push_back((static_cast<double>(bits) + 0.5) / 4294967296.0);
  return out;
}

}  // namespace augur
