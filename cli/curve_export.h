// A sweep's curves in the predictor's CSV format (docs/curves.md): one row per durable point,
// per-trial controls repeated on each row, plus the trial's state and whether it is a
// reference, and the point's wall time. Pure; thread-safe.
#ifndef AUGUR_CLI_CURVE_EXPORT_H_
#define AUGUR_CLI_CURVE_EXPORT_H_

#include <ostream>
#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"
#include "nlohmann/json.hpp"

namespace augur::cli {

// The CSV header line (with its newline).
extern const char kCurvesCsvHeader[];
// One row per point of `curve` (a whole curve or a run of it), for streaming: memory stays
// one message, however large the sweep. `group` fills the group column (normally the sweep id).
void WriteCurveCsvRows(const v1::TrialCurve& curve, const std::string& group, std::ostream& out);
// Header + rows of every curve.
std::string CurvesCsv(const std::vector<v1::TrialCurve>& curves, const std::string& group);
// {"trials": [{trial..., "points": [...]}]}.
nlohmann::json CurvesJson(const std::vector<v1::TrialCurve>& curves);

}  // namespace augur::cli

#endif  // AUGUR_CLI_CURVE_EXPORT_H_
