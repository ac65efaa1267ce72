#include "common/suggest.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace augur {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

std::string SuggestKey(std::string_view key, std::span<const std::string_view> candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view candidate : candidates) {
    size_t d = EditDistance(key, candidate);
    // A key that is a prefix of a longer one ("warmup" for "warmup_fraction") is a likely
    // abbreviation even though its edit distance is large.
    if (key.size() >= 3 && candidate.starts_with(key)) d = std::min<size_t>(d, 1);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  const size_t limit = std::max<size_t>(2, key.size() / 3);
  return best_distance <= limit ? best : "";
}

}  // namespace augur
