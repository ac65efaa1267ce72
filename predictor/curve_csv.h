// Reading curves from CSV (the format of docs/curves.md): one row per point, per-run
// controls as columns repeated on every row of the run. Errors name file:line and why.
#ifndef AUGUR_PREDICTOR_CURVE_CSV_H_
#define AUGUR_PREDICTOR_CURVE_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"

namespace augur::predictor {

// Parses CSV text; `filename` is only used in error messages. Runs keep their order of first
// appearance; points are sorted by step. INVALID_ARGUMENT on a malformed file.
absl::StatusOr<std::vector<Curve>> ParseCurvesCsv(const std::string& text,
                                                  const std::string& filename);

// Reads and parses a file. NOT_FOUND when it cannot be opened.
absl::StatusOr<std::vector<Curve>> ReadCurvesCsv(const std::string& path);

// Writes curves in the same format (the columns Augur itself produces).
std::string CurvesToCsv(const std::vector<Curve>& curves);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_CURVE_CSV_H_
