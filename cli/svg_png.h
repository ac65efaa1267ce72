// SVG to PNG with librsvg and cairo (Debian's librsvg2): the PNG plots are the SVG plots, text
// included, rasterized by a maintained renderer rather than drawn here. Thread-safe (each call
// has its own handle and surface).
#ifndef AUGUR_CLI_SVG_PNG_H_
#define AUGUR_CLI_SVG_PNG_H_

#include <string>

#include "absl/status/statusor.h"

namespace augur::cli {

// The PNG file's bytes for the SVG document `svg`, at its own width and height.
// INVALID_ARGUMENT if librsvg cannot parse it; INTERNAL if cairo cannot encode it.
absl::StatusOr<std::string> SvgToPng(const std::string& svg);

}  // namespace augur::cli

#endif  // AUGUR_CLI_SVG_PNG_H_
