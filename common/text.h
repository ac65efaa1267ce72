// String building for messages. Debian's Abseil is built with its own absl::string_view, so
// absl::StrCat does not accept std::string_view; the CLI and the flag parser format through
// ostream instead.
// Doubles print like "%g" (six significant digits), as absl::StrCat would.
#ifndef AUGUR_COMMON_TEXT_H_
#define AUGUR_COMMON_TEXT_H_

#include <sstream>
#include <string>
#include <string_view>

namespace augur {

template <typename... T>
std::string Cat(const T&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

// Joins the elements of `items` (anything streamable) with `separator`.
template <typename Range>
std::string JoinText(const Range& items, std::string_view separator) {
  std::ostringstream out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out << separator;
    out << item;
    first = false;
  }
  return out.str();
}

}  // namespace augur

#endif  // AUGUR_COMMON_TEXT_H_
