// The points of a sweep's search space, drawn one at a time (the planner plans a trial per
// point, size and seed without holding every point): GRID walks the cartesian product of each
// dimension's values (`values`, or `grid_points` spaced linearly or logarithmically over
// [min, max]; the last dimension varies fastest); RANDOM draws independent uniform or
// log-uniform values from a 64-bit Mersenne Twister seeded by sample_seed; SOBOL takes a
// digitally shifted Sobol sequence seeded by sample_seed (sobol.h). A dimension with explicit
// values samples among them. Batch sizes drawn from a range are rounded to the nearest
// multiple of the micro batch. Restart() replays the same points. Not thread-safe.
#ifndef AUGUR_SCHEDULER_SEARCH_POINTS_H_
#define AUGUR_SCHEDULER_SEARCH_POINTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "augur/v1/sweep.pb.h"
#include "scheduler/sobol.h"

namespace augur {

// One point of the search space: a value per searched parameter (indexed by the enum).
using SearchPoint = std::array<std::optional<double>, 5>;

class SearchPoints {
 public:
  // `micro_batch` > 0 rounds batch sizes drawn from a range to a multiple of it. `search`
  // must outlive this.
  SearchPoints(const v1::SearchSpace& search, int32_t micro_batch);

  // How many points the space has (saturates at INT64_MAX for an absurd grid).
  int64_t count() const { return count_; }
  // The next point; at most count() of them between restarts.
  SearchPoint Next();
  // Back to the first point.
  void Restart();

 private:
  const v1::SearchSpace& search_;
  const int32_t micro_batch_;
  std::vector<std::vector<double>> grid_;  // GRID: each dimension's values.
  int64_t count_ = 0;
  int64_t drawn_ = 0;
  std::mt19937_64 rng_;
  std::optional<SobolSequence> sobol_;
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_SEARCH_POINTS_H_
