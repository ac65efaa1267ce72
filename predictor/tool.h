// The logic of the offline tool `augur-predict` (fit / predict / replay on curve CSV files);
// its main() only forwards argv here so that the commands can be tested in-process.
#ifndef AUGUR_PREDICTOR_TOOL_H_
#define AUGUR_PREDICTOR_TOOL_H_

#include <ostream>
#include <string>
#include <vector>

namespace augur::predictor {

// Runs one command. Results go to `out`; on failure one line "augur-predict: <reason>" goes
// to `err` and the return value is non-zero (2 for bad flags or input, 1 otherwise).
int RunPredictTool(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_TOOL_H_
