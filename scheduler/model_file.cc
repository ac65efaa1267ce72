#include "scheduler/model_file.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "predictor/model.h"

namespace augur {

absl::Status EmbedModelFile(v1::StoppingPolicy& policy) {
  const std::string& path = policy.model_path();
  if (path.empty() || !policy.model_json().empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = predictor::ReadModelText(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("policy.model: ", text.status().message()));
  }
  policy.set_model_json(*std::move(text));
  return absl::OkStatus();
}

}  // namespace augur
