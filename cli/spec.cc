#include "cli/spec.h"

#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "cli/spec_internal.h"
#include "cli/yaml_documents.h"
#include "common/schedule_proto.h"
#include "common/text.h"

namespace augur::cli {

namespace internal {

std::string JoinField(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : Cat(parent, ".", key);
}

std::optional<std::string> ChildString(YamlReader& r, const YAML::Node& map,
                                       std::string_view parent, std::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (!node) return std::nullopt;
  return r.String(node, JoinField(parent, key));
}

std::optional<double> ChildDouble(YamlReader& r, const YAML::Node& map, std::string_view parent,
                                  std::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (!node) return std::nullopt;
  return r.Double(node, JoinField(parent, key));
}

std::optional<int64_t> ChildInt64(YamlReader& r, const YAML::Node& map, std::string_view parent,
                                  std::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (!node) return std::nullopt;
  return r.Int(node, JoinField(parent, key));
}

std::optional<int32_t> ChildInt32(YamlReader& r, const YAML::Node& map, std::string_view parent,
                                  std::string_view key) {
  std::optional<int64_t> v = ChildInt64(r, map, parent, key);
  if (!v.has_value()) return std::nullopt;
  if (*v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max()) {
    r.Error(map[std::string(key)], JoinField(parent, key),
            Cat("got ", *v, ", expected a 32-bit integer"));
    return std::nullopt;
  }
  return static_cast<int32_t>(*v);
}

std::optional<bool> ChildBool(YamlReader& r, const YAML::Node& map, std::string_view parent,
                              std::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (!node) return std::nullopt;
  return r.Bool(node, JoinField(parent, key));
}

}  // namespace internal

namespace {

using augur::v1::SearchDimension;
using augur::v1::SearchParameter;
using augur::v1::SweepSpec;

constexpr std::string_view kTopKeys[] = {"name",
                                         "model",
                                         "data",
                                         "tokens_per_param",
                                         "schedule",
                                         "optimizer",
                                         "batch_sequences",
                                         "search",
                                         "policy",
                                         "resources",
                                         "seeds",
                                         "eval_interval_steps",
                                         "eval_sequences",
                                         "checkpoint_interval_steps"};
// Keys users put at the wrong level, and where they belong.
constexpr YamlReader::KeyHint kTopHints[] = {{"lr", "optimizer.lr"},
                                             {"weight_decay", "optimizer.weight_decay"},
                                             {"tau", "optimizer.tau"},
                                             {"betas", "optimizer.betas"},
                                             {"eps", "optimizer.eps"},
                                             {"grad_clip", "optimizer.grad_clip"},
                                             {"shape", "schedule.shape"},
                                             {"warmup_fraction", "schedule.warmup_fraction"},
                                             {"decay_fraction", "schedule.decay_fraction"},
                                             {"final_lr_fraction", "schedule.final_lr_fraction"},
                                             {"path", "data.path"},
                                             {"corpus", "data.corpus"},
                                             {"format", "data.format"},
                                             {"validation_fraction", "data.validation_fraction"},
                                             {"data_seed", "data.data_seed"},
                                             {"sizes", "model.sizes"},
                                             {"width", "model.sizes[].width"},
                                             {"depth", "model.depth"},
                                             {"heads", "model.heads"},
                                             {"context", "model.context"},
                                             {"vocab", "model.vocab"},
                                             {"method", "search.method"},
                                             {"trials", "search.trials"},
                                             {"parameters", "search.parameters"},
                                             {"kind", "policy.kind"},
                                             {"milestones", "policy.milestones"},
                                             {"keep_top", "policy.keep_top"},
                                             {"gpus", "resources.gpus"},
                                             {"cpu_threads", "resources.cpu_threads"}};
constexpr YamlReader::KeyHint kSearchHints[] = {
    {"lr", "search.parameters.lr"},
    {"weight_decay", "search.parameters.weight_decay"},
    {"tau", "search.parameters.tau"},
    {"batch_sequences", "search.parameters.batch_sequences"}};
constexpr std::string_view kShapeKeys[] = {"depth", "heads",      "context",
                                           "vocab", "base_width", "mlp_ratio"};
constexpr std::string_view kModelKeys[] = {"sizes", "depth",      "heads",    "context",
                                           "vocab", "base_width", "mlp_ratio"};
constexpr std::string_view kSizeKeys[] = {"name",       "width",     "depth",
                                          "heads",      "context",   "vocab",
                                          "base_width", "mlp_ratio", "reference_only"};
constexpr std::string_view kDataKeys[] = {"path", "corpus", "format", "validation_fraction",
                                          "data_seed"};
constexpr std::string_view kScheduleKeys[] = {"shape", "warmup_fraction", "decay_fraction",
                                              "final_lr_fraction"};
constexpr std::string_view kOptimizerKeys[] = {"lr",    "weight_decay", "tau",
                                               "betas", "eps",          "grad_clip"};
constexpr std::string_view kSearchKeys[] = {"method", "trials", "seed", "parameters"};
constexpr std::string_view kParameterKeys[] = {"lr", "weight_decay", "tau", "batch_sequences"};
constexpr std::string_view kRangeKeys[] = {"min", "max", "log", "points"};
constexpr std::string_view kResourceKeys[] = {"gpus", "cpu_threads", "allow_cpu"};

using internal::JoinField;
constexpr auto Join = [](std::string_view parent, std::string_view key) {
  return JoinField(parent, key);
};

std::string Index(std::string_view parent, size_t i) { return Cat(parent, "[", i, "]"); }

// Structural pass: YAML node tree to proto, reporting type errors. Ranges are checked later.
class SpecBuilder {
 public:
  SpecBuilder(YamlReader& reader, SweepSpec& spec) : r_(reader), spec_(spec) {}

  void Build(const YAML::Node& root) {
    if (!r_.ExpectMap(root, "", kTopKeys, kTopHints)) return;
    if (auto v = Str(root, "name")) spec_.set_name(*v);
    if (root["model"]) Model(root["model"]);
    if (root["data"]) Data(root["data"]);
    if (root["tokens_per_param"]) {
      if (auto v = r_.Double(root["tokens_per_param"], "tokens_per_param")) {
        spec_.set_tokens_per_param(*v);
      }
    }
    if (root["schedule"]) Schedule(root["schedule"]);
    if (root["optimizer"]) Optimizer(root["optimizer"]);
    if (auto v = Int32(root, "", "batch_sequences")) spec_.set_batch_sequences(*v);
    if (root["search"]) Search(root["search"]);
    if (root["policy"]) internal::ParsePolicy(r_, root["policy"], *spec_.mutable_policy());
    if (root["resources"]) {
      const YAML::Node node = root["resources"];
      if (r_.ExpectMap(node, "resources", kResourceKeys)) {
        if (auto v = Int32(node, "resources", "gpus")) spec_.mutable_resources()->set_gpus(*v);
        if (auto v = Int32(node, "resources", "cpu_threads")) {
          spec_.mutable_resources()->set_cpu_threads(*v);
        }
        if (auto v = Bool(node, "resources", "allow_cpu")) {
          spec_.mutable_resources()->set_allow_cpu(*v);
        }
      }
    }
    if (root["seeds"]) Seeds(root["seeds"]);
    if (auto v = Int64(root, "", "eval_interval_steps")) spec_.set_eval_interval_steps(*v);
    if (auto v = Int32(root, "", "eval_sequences")) spec_.set_eval_sequences(*v);
    if (auto v = Int64(root, "", "checkpoint_interval_steps")) {
      spec_.set_checkpoint_interval_steps(*v);
    }
  }

 private:
  // Optional typed children (spec_internal.h).
  std::optional<std::string> Str(const YAML::Node& map, std::string_view key,
                                 std::string_view parent = "") {
    return internal::ChildString(r_, map, parent, key);
  }
  std::optional<double> Dbl(const YAML::Node& map, std::string_view parent, std::string_view key) {
    return internal::ChildDouble(r_, map, parent, key);
  }
  std::optional<int64_t> Int64(const YAML::Node& map, std::string_view parent,
                               std::string_view key) {
    return internal::ChildInt64(r_, map, parent, key);
  }
  std::optional<int32_t> Int32(const YAML::Node& map, std::string_view parent,
                               std::string_view key) {
    return internal::ChildInt32(r_, map, parent, key);
  }
  std::optional<bool> Bool(const YAML::Node& map, std::string_view parent, std::string_view key) {
    return internal::ChildBool(r_, map, parent, key);
  }

  // Fields a size may take from the family level; 0 means "not given anywhere".
  void Shape(const YAML::Node& node, std::string_view field, augur::v1::ModelShape& shape) {
    if (auto v = Int32(node, field, "depth")) shape.set_depth(*v);
    if (auto v = Int32(node, field, "heads")) shape.set_heads(*v);
    if (auto v = Int32(node, field, "context")) shape.set_context_tokens(*v);
    if (auto v = Int32(node, field, "vocab")) shape.set_vocab_size(*v);
    if (auto v = Int32(node, field, "base_width")) shape.set_base_width(*v);
    if (auto v = Dbl(node, field, "mlp_ratio")) shape.set_mlp_ratio(*v);
  }

  void Model(const YAML::Node& node) {
    if (!r_.ExpectMap(node, "model", kModelKeys)) return;
    augur::v1::ModelShape family;
    Shape(node, "model", family);
    const YAML::Node sizes = node["sizes"];
    if (!sizes) return;  // Reported by the checks ("at least one size").
    if (!r_.ExpectList(sizes, "model.sizes")) return;
    for (size_t i = 0; i < sizes.size(); ++i) {
      const std::string field = Index("model.sizes", i);
      const YAML::Node item = sizes[i];
      augur::v1::ModelSize* size = spec_.add_sizes();
      if (!r_.ExpectMap(item, field, kSizeKeys)) continue;
      if (auto v = Str(item, "name", field)) size->set_name(*v);
      augur::v1::ModelShape* shape = size->mutable_shape();
      if (auto v = Int32(item, field, "width")) shape->set_width(*v);
      augur::v1::ModelShape own;
      Shape(item, field, own);
      // A size's own value wins over the family's.
      *shape = [&] {
        augur::v1::ModelShape merged = family;
        merged.MergeFrom(own);
        merged.set_width(shape->width());
        return merged;
      }();
      if (auto v = Bool(item, field, "reference_only")) size->set_reference_only(*v);
    }
  }

  void Data(const YAML::Node& node) {
    if (!r_.ExpectMap(node, "data", kDataKeys)) return;
    augur::v1::DataSource* data = spec_.mutable_data();
    if (auto v = Str(node, "path", "data")) data->set_path(*v);
    if (auto v = Str(node, "corpus", "data"); v.has_value() && *v != internal::kKjvCorpus) {
      r_.Error(node["corpus"], "data.corpus",
               Cat("got `", *v, "`, expected ", internal::kKjvCorpus));
    }
    if (auto v = Str(node, "format", "data")) {
      if (*v == "text") {
        data->set_format(augur::v1::DataSource::FORMAT_TEXT_BYTES);
      } else if (*v == "uint16") {
        data->set_format(augur::v1::DataSource::FORMAT_UINT16_SHARD);
      } else {
        r_.Error(node["format"], "data.format", Cat("got `", *v, "`, expected text or uint16"));
      }
    }
    if (auto v = Dbl(node, "data", "validation_fraction")) data->set_validation_fraction(*v);
    if (auto v = Int64(node, "data", "data_seed")) {
      if (*v < 0) {
        r_.Error(node["data_seed"], "data.data_seed",
                 Cat("got ", *v, ", expected a non-negative integer"));
      } else {
        data->set_data_seed(static_cast<uint64_t>(*v));
      }
    }
  }

  void Schedule(const YAML::Node& node) {
    if (!r_.ExpectMap(node, "schedule", kScheduleKeys)) return;
    augur::v1::Schedule* schedule = spec_.mutable_schedule();
    if (auto v = Str(node, "shape", "schedule")) {
      // Every name ParseScheduleShape reads (old ones such as d2z too), but a spec runs the
      // trainer, which has no table: `tabulated` has no wire value and is refused here.
      const absl::StatusOr<ScheduleShape> shape = ParseScheduleShape(*v);
      const absl::StatusOr<augur::v1::ScheduleShape> wire =
          shape.ok() ? ShapeToProto(*shape) : shape.status();
      if (wire.ok()) {
        schedule->set_shape(*wire);
      } else {
        r_.Error(node["shape"], "schedule.shape",
                 Cat("got `", *v, "`, expected linear_decay, cosine, constant or wsd"));
      }
    }
    if (auto v = Dbl(node, "schedule", "warmup_fraction")) schedule->set_warmup_fraction(*v);
    if (auto v = Dbl(node, "schedule", "decay_fraction")) schedule->set_decay_fraction(*v);
    if (auto v = Dbl(node, "schedule", "final_lr_fraction")) schedule->set_final_lr_fraction(*v);
  }

  void Optimizer(const YAML::Node& node) {
    if (!r_.ExpectMap(node, "optimizer", kOptimizerKeys)) return;
    augur::v1::OptimizerConfig* opt = spec_.mutable_optimizer();
    if (auto v = Dbl(node, "optimizer", "lr")) opt->set_peak_lr(*v);
    if (auto v = Dbl(node, "optimizer", "weight_decay")) opt->set_weight_decay(*v);
    if (auto v = Dbl(node, "optimizer", "tau")) opt->set_tau(*v);
    if (auto v = Dbl(node, "optimizer", "eps")) opt->set_epsilon(*v);
    if (auto v = Dbl(node, "optimizer", "grad_clip")) opt->set_grad_clip_norm(*v);
    const YAML::Node betas = node["betas"];
    if (betas && r_.ExpectList(betas, "optimizer.betas")) {
      if (betas.size() != 2) {
        r_.Error(betas, "optimizer.betas",
                 Cat("got ", betas.size(), " values, expected [beta1, beta2]"));
      } else {
        if (auto v = r_.Double(betas[0], "optimizer.betas[0]")) opt->set_beta1(*v);
        if (auto v = r_.Double(betas[1], "optimizer.betas[1]")) opt->set_beta2(*v);
      }
    }
  }

  void Dimension(const YAML::Node& node, const std::string& field, SearchDimension& dim) {
    r_.Remember(field, node);
    if (node.IsScalar()) {
      if (auto v = r_.Double(node, Index(field, 0))) dim.add_values(*v);
    } else if (node.IsSequence()) {
      if (node.size() == 0) r_.Error(node, field, "got an empty list, expected values");
      for (size_t i = 0; i < node.size(); ++i) {
        if (auto v = r_.Double(node[i], Index(field, i))) dim.add_values(*v);
      }
    } else if (node.IsMap()) {
      r_.ExpectMap(node, field, kRangeKeys);
      for (std::string_view key : {"min", "max"}) {
        if (!node[std::string(key)]) {
          r_.Error(node, Join(field, key), Cat("missing; a range needs both min and max"));
        }
      }
      if (auto v = Dbl(node, field, "min")) dim.set_min(*v);
      if (auto v = Dbl(node, field, "max")) dim.set_max(*v);
      if (auto v = Bool(node, field, "log")) dim.set_log_scale(*v);
      if (auto v = Int32(node, field, "points")) dim.set_grid_points(*v);
    } else {
      r_.Error(
          node, field,
          Cat("got ", Describe(node), ", expected a list of values or {min, max, log, points}"));
    }
  }

  void Search(const YAML::Node& node) {
    if (!r_.ExpectMap(node, "search", kSearchKeys, kSearchHints)) return;
    augur::v1::SearchSpace* search = spec_.mutable_search();
    if (auto v = Str(node, "method", "search")) {
      if (*v == "grid") {
        search->set_method(augur::v1::SEARCH_METHOD_GRID);
      } else if (*v == "random") {
        search->set_method(augur::v1::SEARCH_METHOD_RANDOM);
      } else if (*v == "sobol") {
        search->set_method(augur::v1::SEARCH_METHOD_SOBOL);
      } else {
        r_.Error(node["method"], "search.method",
                 Cat("got `", *v, "`, expected grid, random or sobol"));
      }
    }
    if (auto v = Int32(node, "search", "trials")) search->set_trials(*v);
    if (auto v = Int64(node, "search", "seed")) {
      if (*v < 0) {
        r_.Error(node["seed"], "search.seed", Cat("got ", *v, ", expected a non-negative integer"));
      } else {
        search->set_sample_seed(static_cast<uint64_t>(*v));
      }
    }
    const YAML::Node parameters = node["parameters"];
    if (!parameters || !r_.ExpectMap(parameters, "search.parameters", kParameterKeys)) return;
    // Document order, so that grid enumeration follows what the user wrote.
    for (const auto& entry : parameters) {
      const std::string key = entry.first.Scalar();
      SearchParameter parameter = augur::v1::SEARCH_PARAMETER_UNSPECIFIED;
      if (key == "lr") parameter = augur::v1::SEARCH_PARAMETER_PEAK_LR;
      if (key == "weight_decay") parameter = augur::v1::SEARCH_PARAMETER_WEIGHT_DECAY;
      if (key == "tau") parameter = augur::v1::SEARCH_PARAMETER_TAU;
      if (key == "batch_sequences") parameter = augur::v1::SEARCH_PARAMETER_BATCH_SEQUENCES;
      if (parameter == augur::v1::SEARCH_PARAMETER_UNSPECIFIED) continue;  // Already reported.
      bool duplicate = false;
      for (const SearchDimension& d : search->dimensions()) duplicate |= d.parameter() == parameter;
      if (duplicate) continue;  // Already reported as a duplicate key.
      SearchDimension* dim = search->add_dimensions();
      dim->set_parameter(parameter);
      Dimension(entry.second, Join("search.parameters", key), *dim);
    }
  }

  void Seeds(const YAML::Node& node) {
    if (node.IsScalar()) {  // `seeds: 3` is read as the single seed 3.
      if (auto v = r_.Int(node, "seeds[0]")) {
        if (*v < 0) r_.Error(node, "seeds[0]", Cat("got ", *v, ", expected >= 0"));
        spec_.add_seeds(static_cast<uint64_t>(*v));
      }
      return;
    }
    if (!r_.ExpectList(node, "seeds")) return;
    for (size_t i = 0; i < node.size(); ++i) {
      if (auto v = r_.Int(node[i], Index("seeds", i))) {
        if (*v < 0) {
          r_.Error(node[i], Index("seeds", i), Cat("got ", *v, ", expected >= 0"));
        }
        spec_.add_seeds(static_cast<uint64_t>(*v));
      }
    }
  }

  YamlReader& r_;
  SweepSpec& spec_;
};

}  // namespace

std::string SpecParseResult::ErrorText(std::string_view file_name) const {
  std::vector<std::string> lines;
  lines.reserve(errors.size());
  for (const SpecError& e : errors) lines.push_back(e.ToString(file_name));
  return JoinText(lines, "\n");
}

SpecParseResult ParseSweepSpecDetailed(std::string_view yaml, const SpecParseOptions& options) {
  SpecParseResult result;
  YamlReader reader(&result.errors);
  YamlDocuments documents;
  try {
    documents = LoadFirstYamlDocument(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    SpecError error;
    error.line = e.mark.line + 1;
    error.column = e.mark.column + 1;
    error.message = Cat("YAML syntax error: ", e.msg);
    result.errors.push_back(std::move(error));
    return result;
  } catch (const YAML::Exception& e) {
    result.errors.push_back(SpecError{0, 0, "", Cat("YAML error: ", e.what())});
    return result;
  }
  if (documents.first.IsNull()) {
    result.errors.push_back(SpecError{1, 1, "", "the spec is empty"});
    return result;
  }
  if (documents.second) {
    result.errors.push_back(SpecError{documents.second->line + 1, documents.second->column + 1, "",
                                      "expected one YAML document, found more than one"});
  }
  try {
    SpecBuilder(reader, result.spec).Build(documents.first);
    internal::ApplyDefaultsAndCheck(options, reader, result.spec);
  } catch (const YAML::Exception& e) {
    // The builder checks node types before converting; this guards against any yaml-cpp
    // behavior it did not anticipate, so that no exception leaves the parser.
    result.errors.push_back(SpecError{0, 0, "", Cat("YAML error: ", e.what())});
  }
  result.spec.set_source_yaml(std::string(yaml));
  return result;
}

absl::StatusOr<SweepSpec> ParseSweepSpec(std::string_view yaml, const SpecParseOptions& options) {
  SpecParseResult result = ParseSweepSpecDetailed(yaml, options);
  if (!result.ok()) return absl::InvalidArgumentError(result.ErrorText(options.file_name));
  return std::move(result.spec);
}

absl::StatusOr<std::string> ReadSpecFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::NotFoundError(Cat("cannot read spec file ", path.string(), ": is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(Cat("cannot read spec file ", path.string(), ": ",
                                   std::error_code(errno, std::generic_category()).message()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<SweepSpec> LoadSweepSpec(const std::filesystem::path& path, bool check_paths) {
  absl::StatusOr<std::string> text = ReadSpecFile(path);
  if (!text.ok()) return text.status();
  SpecParseOptions options;
  options.file_name = path.string();
  options.base_dir = path.parent_path();
  options.check_paths = check_paths;
  return ParseSweepSpec(*text, options);
}

}  // namespace augur::cli
