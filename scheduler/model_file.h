// A fitted model named by path in a submitted spec (StoppingPolicy.model_path, when the client
// did not embed it): read once, at submit, on the RPC's thread, and embedded in the stored spec
// (model_json), so that decision rounds never open a user's path. Only a regular file is read,
// opened without blocking: a FIFO or a device named there is refused, not waited on.
#ifndef AUGUR_SCHEDULER_MODEL_FILE_H_
#define AUGUR_SCHEDULER_MODEL_FILE_H_

#include "absl/status/status.h"
#include "augur/v1/sweep.pb.h"

namespace augur {

// The largest model file read (fitted models are a few KB).
inline constexpr int64_t kMaxModelFileBytes = 64 << 20;

// Sets policy.model_json from the file at policy.model_path when a path is set and no JSON is;
// INVALID_ARGUMENT naming the path when it is not a readable regular file of at most
// kMaxModelFileBytes holding a fitted model. Does nothing otherwise.
absl::Status EmbedModelFile(v1::StoppingPolicy& policy);

}  // namespace augur

#endif  // AUGUR_SCHEDULER_MODEL_FILE_H_
