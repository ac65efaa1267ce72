// `augur-predict replay`: replays a sweep file under stopping policies (replay.h) and prints
// the outcome per group, as a table or JSON (docs/curves.md, tool_help.h).
#ifndef AUGUR_PREDICTOR_REPLAY_COMMAND_H_
#define AUGUR_PREDICTOR_REPLAY_COMMAND_H_

#include <ostream>

#include "absl/status/status.h"
#include "predictor/tool_args.h"

namespace augur::predictor {

// Results go to `out`; notes about the inputs to `err`. INVALID_ARGUMENT for bad flags or
// input; nothing is printed to `out` before an error found in the flags or files.
absl::Status ReplayCommand(const Args& a, std::ostream& out, std::ostream& err);

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_REPLAY_COMMAND_H_
