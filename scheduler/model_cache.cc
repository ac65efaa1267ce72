#include "scheduler/model_cache.h"

#include <utility>

#include "common/status_macros.h"
#include "predictor/model.h"

namespace augur {

absl::StatusOr<std::shared_ptr<const predictor::ReferenceSource>> ModelCache::FromJson(
    const std::string& json) {
  absl::MutexLock lock(&mu_);
  auto it = embedded_.find(json);
  if (it != embedded_.end()) return it->second;
  ASSIGN_OR_RETURN(predictor::PredictorModel model, predictor::ModelFromJson(json));
  auto source = std::make_shared<predictor::ModelReferenceSource>(std::move(model));
  embedded_[json] = source;
  return source;
}

}  // namespace augur
