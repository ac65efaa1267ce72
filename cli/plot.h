// Line plots of loss curves in three forms: SVG (written here: round ticks, a legend sized to its
// labels, 40 distinct line styles, a cross where a trial ended early), PNG (the same SVG
// rasterized by librsvg: svg_png.h) and a text plot for the terminal. Pure; thread-safe.
#ifndef AUGUR_CLI_PLOT_H_
#define AUGUR_CLI_PLOT_H_

#include <cmath>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace augur::cli {

struct Series {
  std::string label;
  std::vector<double> x, y;  // Same length; non-finite points are skipped.
  bool ended_early = false;  // Did not run to the end (SVG/PNG: a cross; text: lowercase).
};

struct Plot {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool log_x = false;
  // Axis limits; NaN = from the data.
  double y_min = NAN, y_max = NAN;
};

std::string PlotSvg(const Plot& plot, int width = 900, int height = 540);
// The PNG file's bytes: PlotSvg rasterized (errors: SvgToPng's).
absl::StatusOr<std::string> PlotPng(const Plot& plot, int width = 900, int height = 540);
// A character grid with axes' ranges and a legend (one mark letter per series).
std::string PlotText(const Plot& plot, int columns = 72, int rows = 20);

}  // namespace augur::cli

#endif  // AUGUR_CLI_PLOT_H_
