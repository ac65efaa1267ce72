#include "cli/plot.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <sstream>

namespace augur::cli {
namespace {

constexpr std::array<uint32_t, 10> kPalette = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                               0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

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

std::string Hex(uint32_t rgb) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "#%06x", rgb);
  return buf;
}

// PNG: signature, IHDR, one zlib-compressed IDAT, IEND; CRCs from zlib's crc32.
void Chunk(std::string& png, const char type[4], const std::string& data) {
  auto be32 = [&png](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((v >> shift) & 0xff);
  };
  be32(static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  png += body;
  be32(static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

class Raster {
 public:
  Raster(int w, int h) : w_(w), h_(h), rgb_(static_cast<size_t>(w) * h * 3, 255) {}
  void Set(int x, int y, uint32_t c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &rgb_[(static_cast<size_t>(y) * w_ + x) * 3];
    p[0] = (c >> 16) & 0xff;
    p[1] = (c >> 8) & 0xff;
    p[2] = c & 0xff;
  }
  // Bresenham with a 2-pixel pen; `dashed` skips every other run of 6 pixels.
  void Line(int x0, int y0, int x1, int y1, uint32_t c, bool dashed, int* phase) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    while (true) {
      if (!dashed || ((*phase)++ / 6) % 2 == 0) {
        Set(x0, y0, c);
        Set(x0 + 1, y0, c);
        Set(x0, y0 + 1, c);
      }
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
  std::string Png() const {
    std::string raw;
    raw.reserve(rgb_.size() + h_);
    for (int y = 0; y < h_; ++y) {
      raw += '\0';  // Filter: none.
      raw.append(reinterpret_cast<const char*>(&rgb_[static_cast<size_t>(y) * w_ * 3]),
                 static_cast<size_t>(w_) * 3);
    }
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string z(size, '\0');
    compress2(reinterpret_cast<Bytef*>(z.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
              static_cast<uLong>(raw.size()), 6);
    z.resize(size);
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    for (uint32_t v : {static_cast<uint32_t>(w_), static_cast<uint32_t>(h_)}) {
      for (int shift = 24; shift >= 0; shift -= 8) ihdr += static_cast<char>((v >> shift) & 0xff);
    }
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace.
    Chunk(png, "IHDR", ihdr);
    Chunk(png, "IDAT", z);
    Chunk(png, "IEND", "");
    return png;
  }

 private:
  int w_, h_;
  std::vector<uint8_t> rgb_;
};

struct Frame {
  double left, top, right, bottom;
};

}  // namespace

std::string PlotSvg(const Plot& plot, int width, int height) {
  const Bounds b = FindBounds(plot);
  const Frame f{70, 40, width - 230.0, height - 50.0};
  auto px = [&](double x) {
    return f.left + (Tx(plot, x) - b.x0) / (b.x1 - b.x0) * (f.right - f.left);
  };
  auto py = [&](double y) {
    y = std::clamp(y, b.y0, b.y1);
    return f.bottom - (y - b.y0) / (b.y1 - b.y0) * (f.bottom - f.top);
  };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
      << Escape(plot.title) << "</text>\n";
  svg << "<rect x=\"" << f.left << "\" y=\"" << f.top << "\" width=\"" << f.right - f.left
      << "\" height=\"" << f.bottom - f.top << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (int i = 0; i <= 5; ++i) {
    const double tx = b.x0 + (b.x1 - b.x0) * i / 5, ty = b.y0 + (b.y1 - b.y0) * i / 5;
    const double sx = f.left + (f.right - f.left) * i / 5,
                 sy = f.bottom - (f.bottom - f.top) * i / 5;
    svg << "<line x1=\"" << sx << "\" y1=\"" << f.top << "\" x2=\"" << sx << "\" y2=\"" << f.bottom
        << "\" stroke=\"#eee\"/>\n<text x=\"" << sx << "\" y=\"" << f.bottom + 16
        << "\" text-anchor=\"middle\">" << Num(plot.log_x ? std::pow(10, tx) : tx) << "</text>\n";
    svg << "<line x1=\"" << f.left << "\" y1=\"" << sy << "\" x2=\"" << f.right << "\" y2=\"" << sy
        << "\" stroke=\"#eee\"/>\n<text x=\"" << f.left - 6 << "\" y=\"" << sy + 4
        << "\" text-anchor=\"end\">" << Num(ty) << "</text>\n";
  }
  svg << "<text x=\"" << (f.left + f.right) / 2 << "\" y=\"" << height - 12
      << "\" text-anchor=\"middle\">" << Escape(plot.x_label) << "</text>\n"
      << "<text transform=\"translate(16," << (f.top + f.bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << Escape(plot.y_label) << "</text>\n";
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    const std::string color = Hex(kPalette[i % kPalette.size()]);
    svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.6\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"";
    for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k]) || (plot.log_x && s.x[k] <= 0)) continue;
      svg << Num(px(s.x[k])) << "," << Num(py(s.y[k])) << " ";
    }
    svg << "\"/>\n";
    const double ly = f.top + 8 + 18.0 * static_cast<double>(i);
    svg << "<line x1=\"" << f.right + 12 << "\" y1=\"" << ly << "\" x2=\"" << f.right + 36
        << "\" y2=\"" << ly << "\" stroke=\"" << color << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n<text x=\"" << f.right + 42
        << "\" y=\"" << ly + 4 << "\">" << Escape(s.label) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string PlotPng(const Plot& plot, int width, int height) {
  const Bounds b = FindBounds(plot);
  const int left = 50, top = 20, right = width - 20, bottom = height - 40;
  Raster r(width, height);
  for (int i = 0; i <= 5; ++i) {
    int phase = 0;
    const int gx = left + (right - left) * i / 5, gy = bottom - (bottom - top) * i / 5;
    r.Line(gx, top, gx, bottom, 0xeeeeee, false, &phase);
    r.Line(left, gy, right, gy, 0xeeeeee, false, &phase);
  }
  int phase = 0;
  r.Line(left, bottom, right, bottom, 0x444444, false, &phase);
  r.Line(left, top, left, bottom, 0x444444, false, &phase);
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    bool have = false;
    int lx = 0, ly = 0;
    phase = 0;
    for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k]) || (plot.log_x && s.x[k] <= 0)) continue;
      const int x =
          left + static_cast<int>((Tx(plot, s.x[k]) - b.x0) / (b.x1 - b.x0) * (right - left));
      const int y = bottom - static_cast<int>((std::clamp(s.y[k], b.y0, b.y1) - b.y0) /
                                              (b.y1 - b.y0) * (bottom - top));
      if (have) r.Line(lx, ly, x, y, kPalette[i % kPalette.size()], s.dashed, &phase);
      lx = x;
      ly = y;
      have = true;
    }
  }
  return r.Png();
}

std::string PlotText(const Plot& plot, int columns, int rows) {
  const Bounds b = FindBounds(plot);
  std::vector<std::string> grid(static_cast<size_t>(rows),
                                std::string(static_cast<size_t>(columns), ' '));
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    const char mark = static_cast<char>((s.dashed ? 'a' : 'A') + static_cast<int>(i % 26));
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
    out << "  " << static_cast<char>((s.dashed ? 'a' : 'A') + static_cast<int>(i % 26)) << "  "
        << s.label << "\n";
  }
  return out.str();
}

}  // namespace augur::cli
