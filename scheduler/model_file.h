// A fitted model named by path in a submitted spec (StoppingPolicy.model_path, when the client
// did not embed it): read once, at submit, on the RPC's thread, and embedded in the stored spec
// (model_json), so that decision rounds never open a user's path. Read by
// predictor::ReadModelText: a FIFO or a device named there is refused, not waited on.
#ifndef AUGUR_SCHEDULER_MODEL_FILE_H_
#define AUGUR_SCHEDULER_MODEL_FILE_H_

#include "absl/status/status.h"
#include "augur/v1/sweep.pb.h"

namespace augur {

// Sets policy.model_json from the file at policy.model_path when a path is set and no JSON is;
// INVALID_ARGUMENT naming the path when predictor::ReadModelText refuses it. Does nothing
// otherwise.
absl::Status EmbedModelFile(v1::StoppingPolicy& policy);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_MODEL_FILE_H_
