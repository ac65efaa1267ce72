// Reading curves from CSV (the format of docs/curves.md): one row per point, per-run
// controls as columns repeated on every row of the run. Errors name file:line and why.
#ifndef AUGUR_PREDICTOR_CURVE_CSV_H_
#define AUGUR_PREDICTOR_CURVE_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve.h"

namespace augur::predictor {

struct CurveCsvOptions {
  // The column read as each point's loss (docs/curves.md names the aliases of "loss"). Another
  // column (e.g. "val_loss") skips the rows where it is empty, as evaluations are often logged
  // less often than the training loss.
  std::string loss_column = "loss";
};

struct CurveFile {
  std::vector<Curve> curves;
  // What the reader assumed or chose, one line per kind (naming the runs), for the user: e.g.
  // a default warmup, or an lr column that overrode the named schedule (predictor/lr_column.h).
  std::vector<std::string> notes;
};

// Parses CSV text; `filename` is only used in error messages. Runs keep their order of first
// appearance; points are sorted by step. INVALID_ARGUMENT on a malformed file, or when
// `options.loss_column` is no column of it (the message lists the columns there are).
absl::StatusOr<CurveFile> ParseCurveFile(const std::string& text, const std::string& filename,
                                         const CurveCsvOptions& options = {});
// Reads and parses a file. NOT_FOUND when it cannot be opened.
absl::StatusOr<CurveFile> ReadCurveFile(const std::string& path,
                                        const CurveCsvOptions& options = {});

// The curves alone, for callers with no user to tell the notes to.
absl::StatusOr<std::vector<Curve>> ParseCurvesCsv(const std::string& text,
                                                  const std::string& filename);
absl::StatusOr<std::vector<Curve>> ReadCurvesCsv(const std::string& path);

// Writes curves in the same format (the columns Augur itself produces).
std::string CurvesToCsv(const std::vector<Curve>& curves);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_CURVE_CSV_H_
