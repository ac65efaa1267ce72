// Which points of a curve to send for a view of a given width. Per bucket of consecutive points
// the first, the lowest, the highest and the last are kept (the M4 rule): drawn as a line at
// one bucket per pixel column, the result looks the same as every point, spikes included.
// A zoomed view asks for a range of x first (RangeIndices), then downsamples what is in it.
// Pure; thread-safe.
#ifndef AUGUR_DASHBOARD_DOWNSAMPLE_H_
#define AUGUR_DASHBOARD_DOWNSAMPLE_H_

#include <cstddef>
#include <vector>

namespace augur::dashboard {

// Ascending indices into `y` of at most max(max_points, 4) points (all of them when `y` has no
// more); the first and last index are always kept. Non-finite values (a diverged loss) are
// never chosen as a bucket's lowest or highest but may be its first or last.
std::vector<size_t> DownsampleIndices(const std::vector<double>& y, size_t max_points);

// Ascending indices of the points of `x` (ascending) in [from, to], with the nearest point on
// each side of the range when there is one, so that a line drawn from them reaches the
// range's edges. Empty when no point lies in or on either side of the range.
std::vector<size_t> RangeIndices(const std::vector<double>& x, double from, double to);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_DOWNSAMPLE_H_
