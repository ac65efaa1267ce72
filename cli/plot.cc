#include "cli/plot.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <sstream>

#include "cli/plot_axis.h"
#include "cli/svg_png.h"

namespace augur::cli {
namespace {

// Ten colours, then the same colours in three dash patterns: 40 distinct styles (the web page
// uses the same, web/src/styles.js).
constexpr std::array<const char*, 10> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                  "#bcbd22", "#17becf"};
constexpr std::array<const char*, 4> kDashes = {"", "6 3", "2 2", "8 3 2 3"};
constexpr double kCharWidth = 6.8;  // Of the 12 px sans-serif, on average, for the legend.

struct Bounds {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
};

double Tx(const Plot& p, double x) { return p.log_x ? std::log10(std::max(x, 1e-300)) : x; }

Bounds FindBounds(const Plot& plot) {
  Bounds b{INFINITY, -INFINITY, INFINITY, -INFINITY};
  for (const Series& s : plot.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (plot.log_x && s.x[i] <= 0)) continue;
      b.x0 = std::min(b.x0, Tx(plot, s.x[i]));
      b.x1 = std::max(b.x1, Tx(plot, s.x[i]));
      b.y0 = std::min(b.y0, s.y[i]);
      b.y1 = std::max(b.y1, s.y[i]);
    }
  }
  if (!std::isfinite(b.x0)) b = Bounds{};
  if (std::isfinite(plot.y_min)) b.y0 = plot.y_min;
  if (std::isfinite(plot.y_max)) b.y1 = plot.y_max;
  if (b.x1 <= b.x0) b.x1 = b.x0 + 1;
  if (b.y1 <= b.y0) b.y1 = b.y0 + 1;
  return b;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Color(size_t i) { return kPalette[i % kPalette.size()]; }

std::string DashAttr(size_t i) {
  const char* dash = kDashes[(i / kPalette.size()) % kDashes.size()];
  return *dash ? std::string(" stroke-dasharray=\"") + dash + "\"" : "";
}

std::string Truncate(const std::string& s, size_t chars) {
  return s.size() <= chars ? s : s.substr(0, chars > 1 ? chars - 1 : 0) + "\u2026";
}

// A cross at (x, y), where a trial ended before its end.
void Cross(std::ostringstream& svg, double x, double y, const std::string& color) {
  svg << "<path d=\"M" << Num(x - 4) << "," << Num(y - 4) << "l8,8m0,-8l-8,8\" stroke=\"" << color
      << "\" stroke-width=\"2\"/>\n";
}

}  // namespace

std::string PlotSvg(const Plot& plot, int width, int height) {
  const Bounds b = FindBounds(plot);
  // The legend is as wide as its longest label needs, up to 40% of the picture.
  size_t longest = 0;
  for (const Series& s : plot.series) longest = std::max(longest, s.label.size());
  const double legend_width =
      std::clamp(static_cast<double>(longest) * kCharWidth + 44, 120.0, width * 0.4);
  const size_t label_chars = static_cast<size_t>((legend_width - 44) / kCharWidth);
  const double left = 70, top = 40, right = width - legend_width - 16, bottom = height - 50;
  auto px = [&](double x) { return left + (Tx(plot, x) - b.x0) / (b.x1 - b.x0) * (right - left); };
  auto py = [&](double y) {
    return bottom - (std::clamp(y, b.y0, b.y1) - b.y0) / (b.y1 - b.y0) * (bottom - top);
  };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
      << Escape(Truncate(plot.title, static_cast<size_t>(width / 8))) << "</text>\n";
  const std::vector<double> x_ticks =
      plot.log_x ? LogTicks(std::pow(10, b.x0), std::pow(10, b.x1)) : NiceTicks(b.x0, b.x1);
  for (double t : x_ticks) {
    const double sx = px(t);
    svg << "<line x1=\"" << Num(sx) << "\" y1=\"" << top << "\" x2=\"" << Num(sx) << "\" y2=\""
        << bottom << "\" stroke=\"#eee\"/>\n<text x=\"" << Num(sx) << "\" y=\"" << bottom + 16
        << "\" text-anchor=\"middle\">" << TickText(t) << "</text>\n";
  }
  for (double t : NiceTicks(b.y0, b.y1)) {
    const double sy = py(t);
    svg << "<line x1=\"" << left << "\" y1=\"" << Num(sy) << "\" x2=\"" << Num(right) << "\" y2=\""
        << Num(sy) << "\" stroke=\"#eee\"/>\n<text x=\"" << left - 6 << "\" y=\"" << Num(sy + 4)
        << "\" text-anchor=\"end\">" << TickText(t) << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << Num(right - left)
      << "\" height=\"" << bottom - top << "\" fill=\"none\" stroke=\"#444\"/>\n"
      << "<text x=\"" << Num((left + right) / 2) << "\" y=\"" << height - 12
      << "\" text-anchor=\"middle\">" << Escape(plot.x_label) << (plot.log_x ? " (log scale)" : "")
      << "</text>\n"
      << "<text transform=\"translate(16," << (top + bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << Escape(plot.y_label) << "</text>\n";
  // Rows the legend has room for; the last says how many more there are when they do not fit.
  const size_t rows = static_cast<size_t>(std::max(1.0, (bottom - top) / 17));
  const size_t listed = plot.series.size() <= rows ? plot.series.size() : rows - 1;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    const std::string color = Color(i);
    svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.6\"" << DashAttr(i)
        << " points=\"";
    double last_x = NAN, last_y = NAN;
    for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k]) || (plot.log_x && s.x[k] <= 0)) continue;
      last_x = px(s.x[k]);
      last_y = py(s.y[k]);
      svg << Num(last_x) << "," << Num(last_y) << " ";
    }
    svg << "\"/>\n";
    if (s.ended_early && std::isfinite(last_x)) Cross(svg, last_x, last_y, color);
    if (i >= listed) continue;
    const double ly = top + 8 + 17.0 * static_cast<double>(i);
    svg << "<line x1=\"" << Num(right + 12) << "\" y1=\"" << ly << "\" x2=\"" << Num(right + 36)
        << "\" y2=\"" << ly << "\" stroke=\"" << color << "\" stroke-width=\"2\"" << DashAttr(i)
        << "/>\n";
    if (s.ended_early) Cross(svg, right + 36, ly, color);
    svg << "<text x=\"" << Num(right + 44) << "\" y=\"" << ly + 4 << "\">"
        << Escape(Truncate(s.label, label_chars)) << "</text>\n";
  }
  if (listed < plot.series.size()) {
    svg << "<text x=\"" << Num(right + 12) << "\" y=\"" << top + 12 + 17.0 * listed
        << "\" fill=\"#555\">+" << plot.series.size() - listed
        << " more (all in the dashboard)</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

absl::StatusOr<std::string> PlotPng(const Plot& plot, int width, int height) {
  return SvgToPng(PlotSvg(plot, width, height));
}

std::string PlotText(const Plot& plot, int columns, int rows) {
  const Bounds b = FindBounds(plot);
  std::vector<std::string> grid(static_cast<size_t>(rows),
                                std::string(static_cast<size_t>(columns), ' '));
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    const char mark = static_cast<char>((s.ended_early ? 'a' : 'A') + static_cast<int>(i % 26));
    for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k]) || (plot.log_x && s.x[k] <= 0)) continue;
      if (s.y[k] < b.y0 || s.y[k] > b.y1) continue;
      const int c =
          static_cast<int>(std::lround((Tx(plot, s.x[k]) - b.x0) / (b.x1 - b.x0) * (columns - 1)));
      const int r = static_cast<int>(std::lround((b.y1 - s.y[k]) / (b.y1 - b.y0) * (rows - 1)));
      grid[static_cast<size_t>(r)][static_cast<size_t>(c)] = mark;
    }
  }
  std::ostringstream out;
  out << plot.title << "\n";
  for (int r = 0; r < rows; ++r) {
    char label[16];
    if (r == 0 || r == rows - 1 || r == rows / 2) {
      std::snprintf(label, sizeof(label), "%9.4g", b.y1 - (b.y1 - b.y0) * r / (rows - 1));
    } else {
      std::snprintf(label, sizeof(label), "%9s", "");
    }
    out << label << " |" << grid[static_cast<size_t>(r)] << "\n";
  }
  const double x_lo = plot.log_x ? std::pow(10, b.x0) : b.x0;
  const double x_hi = plot.log_x ? std::pow(10, b.x1) : b.x1;
  out << std::string(10, ' ') << "+" << std::string(static_cast<size_t>(columns), '-') << "\n";
  std::string axis = Num(x_lo);
  const std::string hi = Num(x_hi);
  const size_t pad = static_cast<size_t>(columns) > axis.size() + hi.size()
                         ? static_cast<size_t>(columns) - axis.size() - hi.size()
                         : 1;
  out << std::string(11, ' ') << axis << std::string(pad, ' ') << hi << "\n"
      << std::string(11, ' ') << plot.x_label << (plot.log_x ? " (log scale)" : "") << "; "
      << plot.y_label << "\n";
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    out << "  " << static_cast<char>((s.ended_early ? 'a' : 'A') + static_cast<int>(i % 26)) << "  "
        << s.label << "\n";
  }
  return out.str();
}

}  // namespace augur::cli
