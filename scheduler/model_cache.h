// Fitted predictor models embedded in specs (StoppingPolicy.model_json), parsed once per distinct
// text: a decision round must not pay for parsing, and opens no file. Owned by whoever plans
// rounds (no process-wide state). Thread-safe.
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
  // The model whose JSON text was embedded in the spec (by the client, or by the scheduler at
  // submit), parsed once per distinct text; the parser's error if it is not a model.
  absl::StatusOr<std::shared_ptr<const predictor::ReferenceSource>> FromJson(
      const std::string& json);

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const predictor::ReferenceSource>> embedded_
      ABSL_GUARDED_BY(mu_);  // By JSON text.
};

}  // namespace augur

#endif  // AUGUR_SCHEDULER_MODEL_CACHE_H_
