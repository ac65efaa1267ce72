// Axis ticks for the CLI's plots: round values people read at a glance ("400k", "2.5",
// "0.001"), never "3.99e+05". Pure; thread-safe.
#ifndef AUGUR_CLI_PLOT_AXIS_H_
#define AUGUR_CLI_PLOT_AXIS_H_

#include <string>
#include <vector>

namespace augur::cli {

// About `target` ticks at multiples of 1, 2 or 5 x 10^k inside [lo, hi] (lo < hi).
std::vector<double> NiceTicks(double lo, double hi, int target = 6);
// Ticks for a log axis over [lo, hi] (both > 0): the powers of ten inside, with 2 and 5 times
// them when fewer than three powers fit.
std::vector<double> LogTicks(double lo, double hi);
// 400000 -> "400k", 1.25e6 -> "1.25M", 2.5 -> "2.5", 0.0003 -> "0.0003", 1e-6 -> "1e-06".
std::string TickText(double v);

}  // namespace augur::cli

#endif  // AUGUR_CLI_PLOT_AXIS_H_
