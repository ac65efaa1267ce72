// Which points of a curve to send for a view of a given width. Per bucket of consecutive points
// the first, the lowest, the highest and the last are kept (the M4 rule): drawn as a line at
// one bucket per pixel column, the result looks the same as every point, spikes included.
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

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_DOWNSAMPLE_H_
