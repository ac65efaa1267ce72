// Text forms of augur.v1.TrialConfig for augur-train: a YAML file whose keys mirror the proto's
// fields (nested maps: `model: {width: 128}`), and `--model.width=128` style overrides, both set
// through protobuf reflection so every field of the proto is reachable and stays in sync with it.
//
// Enum values may be written in full (SCHEDULE_SHAPE_COSINE) or by their suffix, in any case
// (cosine, linear_decay; text_bytes, uint16_shard); a schedule shape also by any name
// ParseScheduleShape reads (wsd, and the old d2z). Pure; thread-safe.
#ifndef AUGUR_TRAINER_TRIAL_CONFIG_TEXT_H_
#define AUGUR_TRAINER_TRIAL_CONFIG_TEXT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "augur/v1/trial.pb.h"

namespace augur::trainer {

struct TrialConfigFile {
  augur::v1::TrialConfig config;
  std::string run_id;  // Optional top-level `run_id` key (not part of the proto).
};

// Sets the scalar field at dotted `path` from `value`. Errors (INVALID_ARGUMENT) name the field,
// the value and why (unknown field, not a number, unknown enum value).
absl::Status SetTrialField(augur::v1::TrialConfig* config, absl::string_view path,
                           absl::string_view value);

// Parses YAML text; `source` (a file name) prefixes errors with "source:line: ".
absl::StatusOr<TrialConfigFile> ParseTrialYaml(absl::string_view yaml, absl::string_view source);
absl::StatusOr<TrialConfigFile> LoadTrialYaml(const std::string& path);

// Dotted paths of every scalar field, with their type, for --help ("model.width (int32)").
std::vector<std::string> TrialFieldHelp();

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_TRIAL_CONFIG_TEXT_H_
