// Fitted predictor models, read once per path: a decision round must not pay for file I/O and
// parsing. Owned by whoever plans rounds (no process-wide state). Thread-safe.
#ifndef AUGUR_SCHEDULER_MODEL_CACHE_H_
#define AUGUR_SCHEDULER_MODEL_CACHE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "predictor/reference_source.h"

namespace augur {

class ModelCache {
 public:
  // The model at `path` as a reference source; the error of predictor::LoadModel if it cannot
  // be read (not cached: a fixed file is read on the next call).
  absl::StatusOr<std::shared_ptr<const predictor::ReferenceSource>> Get(const std::string& path);
  // The model whose JSON text the client embedded in the spec (StoppingPolicy.model_json),
  // parsed once per distinct text; no file is opened.
  absl::StatusOr<std::shared_ptr<const predictor::ReferenceSource>> FromJson(
      const std::string& json);

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const predictor::ReferenceSource>> models_
      ABSL_GUARDED_BY(mu_);  // By path.
  std::map<std::string, std::shared_ptr<const predictor::ReferenceSource>> embedded_
      ABSL_GUARDED_BY(mu_);  // By JSON text.
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_MODEL_CACHE_H_
