// Flag parsing and input reading shared by the commands of augur-predict (tool.cc,
// replay_command.cc). Notes about the inputs go to the `err` stream, one line each.
#ifndef AUGUR_PREDICTOR_TOOL_ARGS_H_
#define AUGUR_PREDICTOR_TOOL_ARGS_H_

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "predictor/curve_csv.h"
#include "predictor/model.h"
#include "predictor/reference_source.h"

namespace augur::predictor {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
};

// Parses args[begin..]; "-o" is "--out". INVALID_ARGUMENT for an unknown flag, a switch given
// a value or a value flag without one.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& args, size_t begin,
                               const std::set<std::string>& value_flags,
                               const std::set<std::string>& switch_flags);

// The value of --name as a finite number, `fallback` when absent.
absl::StatusOr<double> Number(const Args& a, const std::string& name, double fallback);

// --output text|json: true for json.
absl::StatusOr<bool> JsonOutput(const Args& a);

absl::Status RequireOneInput(const Args& a, const char* command);

// Reads a curve file and prints its notes (lr_column.h) to `err`.
absl::StatusOr<std::vector<Curve>> ReadCurves(const std::string& path,
                                              const CurveCsvOptions& options, std::ostream& err);

// The reference given by --model or --references (source null when neither).
struct ReferenceInput {
  std::shared_ptr<const ReferenceSource> source;
  std::optional<PredictorModel> model;  // With --model.
  std::string model_path;

  // The schedule keys of `curves` that the model has no calibration for, so that the pooled
  // one is used; prints one line per key to `err`. Empty without --model.
  std::vector<std::string> PooledKeys(const std::vector<Curve>& curves, std::ostream& err) const;
};
absl::StatusOr<ReferenceInput> References(const Args& a, std::ostream& err);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_TOOL_ARGS_H_
