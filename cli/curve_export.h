// A sweep's curves in the predictor's CSV format (docs/curves.md): one row per durable point,
// per-trial controls repeated on each row, plus the trial's state and whether it is a
// reference. Pure; thread-safe.
#ifndef AUGUR_CLI_CURVE_EXPORT_H_
#define AUGUR_CLI_CURVE_EXPORT_H_

#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"
#include "nlohmann/json.hpp"

namespace augur::cli {

// Header + rows. `group` fills the group column (normally the sweep id).
std::string CurvesCsv(const std::vector<v1::TrialCurve>& curves, const std::string& group);
// {"trials": [{trial..., "points": [...]}]}.
nlohmann::json CurvesJson(const std::vector<v1::TrialCurve>& curves);

}  // namespace augur::cli

#endif  // AUGUR_CLI_CURVE_EXPORT_H_
