// "Did you mean" hints for unknown names (spec keys, flags).
#ifndef AUGUR_COMMON_SUGGEST_H_
#define AUGUR_COMMON_SUGGEST_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace augur {

// Levenshtein distance between two ASCII strings.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `key` if it is close enough to be a plausible typo, else "".
std::string SuggestKey(std::string_view key, std::span<const std::string_view> candidates);

}  // namespace augur

#endif  // AUGUR_COMMON_SUGGEST_H_
