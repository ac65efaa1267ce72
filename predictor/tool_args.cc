#include "predictor/tool_args.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace augur::predictor {

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& args, size_t begin,
                               const std::set<std::string>& value_flags,
                               const std::set<std::string>& switch_flags) {
  Args a;
  for (size_t i = begin; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-o") arg = "--out";
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      a.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (switch_flags.count(name)) {
      if (has_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      a.switches.insert(name);
    } else if (value_flags.count(name)) {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        }
        value = args[++i];
      }
      a.values[name] = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  return a;
}

absl::StatusOr<double> Number(const Args& a, const std::string& name, double fallback) {
  auto it = a.values.find(name);
  if (it == a.values.end()) return fallback;
  double v;
  if (!absl::SimpleAtod(it->second, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " '", it->second, "' is not a number"));
  }
  return v;
}

absl::StatusOr<ReferenceInput> References(const Args& a, std::ostream& err) {
  if (a.values.count("model") && a.values.count("references")) {
    return absl::InvalidArgumentError("give --model or --references, not both");
  }
  ReferenceInput in;
  if (auto it = a.values.find("model"); it != a.values.end()) {
    auto model = LoadModel(it->second);
    if (!model.ok()) return model.status();
    in.model = *model;
    in.model_path = it->second;
    in.source = std::make_shared<ModelReferenceSource>(*std::move(model));
  } else if (auto it = a.values.find("references"); it != a.values.end()) {
    auto curves = ReadCurves(it->second, {}, err);
    if (!curves.ok()) return curves.status();
    in.source = std::make_shared<EmpiricalReferenceSource>(*std::move(curves));
  }
  return in;
}

absl::StatusOr<std::vector<Curve>> ReadCurves(const std::string& path,
                                              const CurveCsvOptions& options, std::ostream& err) {
  auto file = ReadCurveFile(path, options);
  if (!file.ok()) return file.status();
  for (const std::string& note : file->notes) err << "augur-predict: note: " << note << "\n";
  return std::move(file->curves);
}

std::vector<std::string> ReferenceInput::PooledKeys(const std::vector<Curve>& curves,
                                                    std::ostream& err) const {
  if (!model.has_value()) return {};
  const std::vector<std::string> keys = KeysUsingPooled(*model, curves);
  for (const std::string& key : keys) {
    std::vector<std::string> have;
    for (const Calibration& c : model->calibrations) {
      if (c.schedule_key != kPooledKey) have.push_back(c.schedule_key);
    }
    err << "augur-predict: note: schedule '" << key << "' matches no calibration of " << model_path
        << " (" << (have.empty() ? "it has none" : absl::StrJoin(have, ", "))
        << "): using the pooled one\n";
  }
  return keys;
}

absl::StatusOr<bool> JsonOutput(const Args& a) {
  auto it = a.values.find("output");
  if (it == a.values.end() || it->second == "text") return false;
  if (it->second == "json") return true;
  return absl::InvalidArgumentError("--output must be text or json");
}

absl::Status RequireOneInput(const Args& a, const char* command) {
  if (a.positional.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, " takes one CSV file, got ", a.positional.size()));
  }
  return absl::OkStatus();
}

}  // namespace augur::predictor
