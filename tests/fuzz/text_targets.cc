// The fuzz targets over text formats: sweep specs, curve CSV files, trial configs.
#include <string>
#include <string_view>

#include "cli/spec.h"
#include "predictor/curve_csv.h"
#include "tests/fuzz/fuzz_targets.h"
#include "trainer/config.h"
#include "trainer/trial_config_text.h"

namespace augur::fuzz {

void FuzzSweepSpec(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  cli::SpecParseOptions options;
  options.file_name = "fuzz.yaml";
  options.check_paths = false;
  const cli::SpecParseResult r = cli::ParseSweepSpecDetailed(yaml, options);
  if (!r.ok()) (void)r.ErrorText("fuzz.yaml");
}

void FuzzCurveCsv(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)predictor::ParseCurveFile(text, "fuzz.csv");
  predictor::CurveCsvOptions val;
  val.loss_column = "val_loss";
  auto curves = predictor::ParseCurveFile(text, "fuzz.csv", val);
  // What parses must write back and parse again.
  if (curves.ok()) (void)predictor::ParseCurvesCsv(predictor::CurvesToCsv(curves->curves), "again");
}

void FuzzTrialConfig(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto file = trainer::ParseTrialYaml(absl::string_view(yaml.data(), yaml.size()), "fuzz.yaml");
  if (!file.ok()) return;
  auto spec = trainer::TrialSpecFromProto(file->config);
  if (spec.ok()) (void)trainer::ResolveTrial(*spec);
}

}  // namespace augur::fuzz
