// Defaults and semantic checks of a structurally parsed spec (docs/spec.md lists each rule).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>

#include "cli/spec_internal.h"
#include "common/schedule_proto.h"
#include "common/text.h"

namespace augur::cli::internal {
namespace {

using augur::v1::SearchDimension;
using augur::v1::SearchParameter;
using augur::v1::SweepSpec;

// Defaults, named so docs/spec.md and the code can be checked against each other.
constexpr double kDefaultTokensPerParam = 20.0;
constexpr double kDefaultValidationFraction = 0.05;
constexpr double kDefaultWarmupFraction = 0.1;
constexpr double kDefaultWsdDecayFraction = 0.2;
constexpr double kDefaultWeightDecay = 0.1;
constexpr double kDefaultBeta1 = 0.9;
constexpr double kDefaultBeta2 = 0.95;
constexpr double kDefaultEpsilon = 1e-8;
constexpr double kDefaultGradClip = 1.0;
constexpr int kDefaultBatchSequences = 32;
constexpr int kDefaultGridPoints = 3;
constexpr int64_t kDefaultEvalIntervalSteps = 100;
constexpr int kDefaultEvalSequences = 32;
constexpr int64_t kDefaultCheckpointIntervalSteps = 250;

class Checker {
 public:
  Checker(const SpecParseOptions& options, YamlReader& reader, SweepSpec& spec)
      : options_(options), r_(reader), spec_(spec) {}

  void Run() {
    if (spec_.name().empty()) r_.ErrorAt("name", "missing; expected a non-empty sweep name");
    Data();  // Before Sizes: the data format decides the default vocabulary.
    Sizes();
    if (!r_.Has("tokens_per_param")) spec_.set_tokens_per_param(kDefaultTokensPerParam);
    if (spec_.tokens_per_param() <= 0) Bad("tokens_per_param", spec_.tokens_per_param(), "> 0");
    Schedule();
    Search();  // Before Optimizer: what is searched decides what the optimizer must give.
    Optimizer();
    if (!r_.Has("batch_sequences")) spec_.set_batch_sequences(kDefaultBatchSequences);
    if (spec_.batch_sequences() <= 0) Bad("batch_sequences", spec_.batch_sequences(), "> 0");
    CheckPolicy(options_, r_, *spec_.mutable_policy());
    if (spec_.resources().gpus() < 0) Bad("resources.gpus", spec_.resources().gpus(), ">= 0");
    if (spec_.resources().cpu_threads() < 0) {
      Bad("resources.cpu_threads", spec_.resources().cpu_threads(), ">= 0");
    }
    Seeds();
    if (!r_.Has("eval_interval_steps")) spec_.set_eval_interval_steps(kDefaultEvalIntervalSteps);
    if (spec_.eval_interval_steps() < 0) {
      Bad("eval_interval_steps", spec_.eval_interval_steps(), ">= 0 (0 = only at the end)");
    }
    if (!r_.Has("eval_sequences")) spec_.set_eval_sequences(kDefaultEvalSequences);
    if (spec_.eval_sequences() <= 0) Bad("eval_sequences", spec_.eval_sequences(), "> 0");
    if (!r_.Has("checkpoint_interval_steps")) {
      spec_.set_checkpoint_interval_steps(kDefaultCheckpointIntervalSteps);
    }
    if (spec_.checkpoint_interval_steps() < 0) {
      Bad("checkpoint_interval_steps", spec_.checkpoint_interval_steps(),
          ">= 0 (0 = only when stopping or pausing)");
    }
  }

 private:
  template <typename T>
  void Bad(std::string_view field, T value, std::string_view expected) {
    ReportBad(r_, field, value, expected);
  }
  void NotUsed(std::string_view field, std::string_view by) { ReportNotUsed(r_, field, by); }

  bool Searched(SearchParameter p) const {
    for (const SearchDimension& d : spec_.search().dimensions()) {
      if (d.parameter() == p) return true;
    }
    return false;
  }

  std::string ResolvePath(std::string_view field, const std::string& path) {
    return ResolveSpecPath(options_, r_, field, path);
  }

  void Data() {
    augur::v1::DataSource* data = spec_.mutable_data();
    if (r_.Has("data.corpus")) {
      // The named corpus is an empty path: the trainer resolves it on the worker.
      if (r_.Has("data.path")) {
        r_.ErrorAt("data.corpus", "conflicts with data.path; give one of them");
      } else if (!r_.HasError("data.corpus") && options_.check_paths &&
                 !std::filesystem::exists(kKjvDataFile)) {
        r_.ErrorAt("data.corpus",
                   Cat("got `", kKjvCorpus, "`, but ", kKjvDataFile,
                       " does not exist; install Debian's bible-kjv and bible-kjv-text packages"));
      }
      data->clear_path();
    } else if (data->path().empty()) {
      r_.ErrorAt("data.path",
                 "missing; expected the training data file (text or .bin shard) or data.corpus");
    } else {
      data->set_path(ResolvePath("data.path", data->path()));
    }
    if (data->format() == augur::v1::DataSource::FORMAT_UNSPECIFIED) {
      data->set_format(std::filesystem::path(data->path()).extension() == ".bin"
                           ? augur::v1::DataSource::FORMAT_UINT16_SHARD
                           : augur::v1::DataSource::FORMAT_TEXT_BYTES);
    }
    if (!r_.Has("data.validation_fraction")) {
      data->set_validation_fraction(kDefaultValidationFraction);
    }
    const double vf = data->validation_fraction();
    if (!(vf > 0 && vf <= 0.5)) Bad("data.validation_fraction", vf, "a fraction in (0, 0.5]");
  }

  void Sizes() {
    if (spec_.sizes_size() == 0) {
      r_.ErrorAt("model.sizes", "missing; expected a list of at least one model size");
      return;
    }
    const bool text = spec_.data().format() == augur::v1::DataSource::FORMAT_TEXT_BYTES;
    int32_t smallest_width = 0;
    for (const auto& size : spec_.sizes()) {
      const int32_t w = size.shape().width();
      if (w > 0 && (smallest_width == 0 || w < smallest_width)) smallest_width = w;
    }
    std::set<std::string> names;
    bool any_searched_size = false;
    for (int i = 0; i < spec_.sizes_size(); ++i) {
      augur::v1::ModelSize* size = spec_.mutable_sizes(i);
      augur::v1::ModelShape* shape = size->mutable_shape();
      const std::string field = Cat("model.sizes[", i, "]");
      any_searched_size |= !size->reference_only();
      const auto positive = [&](std::string_view key, int32_t value, bool family) {
        const std::string f = Cat(field, ".", key);
        if (value > 0) return true;
        if (r_.HasError(f) || r_.HasError(Cat("model.", key))) return false;
        if (r_.Has(f) || (family && r_.Has(Cat("model.", key)))) {
          Bad(r_.Has(f) ? f : Cat("model.", key), value, "a positive integer");
        } else {
          r_.ErrorAt(f, family ? Cat("missing; set it here or in model.", key)
                               : std::string("missing; expected a positive integer"));
        }
        return false;
      };
      const bool width_ok = positive("width", shape->width(), false);
      positive("depth", shape->depth(), true);
      const bool heads_ok = positive("heads", shape->heads(), true);
      positive("context", shape->context_tokens(), true);
      if (width_ok && heads_ok && shape->width() % shape->heads() != 0) {
        r_.ErrorAt(Cat(field, ".heads"),
                   Cat("got ", shape->heads(), ", expected a divisor of width ", shape->width()));
      }
      if (size->name().empty() && width_ok) size->set_name(Cat("w", shape->width()));
      if (!size->name().empty() && !names.insert(size->name()).second) {
        r_.ErrorAt(Cat(field, ".name"),
                   Cat("got `", size->name(), "`, which names an earlier size too; ",
                       "expected unique size names"));
      }
      const std::string vocab_field =
          r_.Has(field + ".vocab") ? field + ".vocab" : std::string("model.vocab");
      if (shape->vocab_size() == 0 && !r_.Has(vocab_field)) {
        if (text) {
          shape->set_vocab_size(256);
        } else {
          r_.ErrorAt(vocab_field, "missing; a uint16 shard needs the tokenizer's vocabulary size");
        }
      } else if (text && shape->vocab_size() < 256) {
        Bad(vocab_field, shape->vocab_size(), ">= 256 for byte-level text data");
      } else if (shape->vocab_size() <= 0 || shape->vocab_size() > 65536) {
        Bad(vocab_field, shape->vocab_size(), "a vocabulary size in [1, 65536]");
      }
      if (shape->base_width() == 0 && !r_.Has(field + ".base_width") &&
          !r_.Has("model.base_width")) {
        shape->set_base_width(smallest_width);
      } else if (shape->base_width() <= 0) {
        Bad(r_.Has(field + ".base_width") ? field + ".base_width" : "model.base_width",
            shape->base_width(), "a positive integer");
      }
      if (shape->mlp_ratio() == 0 && !r_.Has(field + ".mlp_ratio") && !r_.Has("model.mlp_ratio")) {
        shape->set_mlp_ratio(4.0);
      } else if (shape->mlp_ratio() <= 0) {
        Bad(r_.Has(field + ".mlp_ratio") ? field + ".mlp_ratio" : "model.mlp_ratio",
            shape->mlp_ratio(), "> 0");
      }
    }
    if (!any_searched_size) {
      r_.ErrorAt("model.sizes",
                 "every size is reference_only; expected at least one size to search");
    }
  }

  void Schedule() {
    augur::v1::Schedule* s = spec_.mutable_schedule();
    if (s->shape() == augur::v1::SCHEDULE_SHAPE_UNSPECIFIED) {
      s->set_shape(augur::v1::SCHEDULE_SHAPE_LINEAR_DECAY);
    }
    if (!r_.Has("schedule.warmup_fraction")) s->set_warmup_fraction(kDefaultWarmupFraction);
    if (!(s->warmup_fraction() >= 0 && s->warmup_fraction() < 1)) {
      Bad("schedule.warmup_fraction", s->warmup_fraction(), "a fraction in [0, 1)");
    }
    const ScheduleShape shape = ShapeFromProto(s->shape());
    const bool wsd = shape == ScheduleShape::kWsd;
    const bool cosine = shape == ScheduleShape::kCosine;
    if (wsd) {
      if (!r_.Has("schedule.decay_fraction")) s->set_decay_fraction(kDefaultWsdDecayFraction);
      if (!(s->decay_fraction() > 0 && s->decay_fraction() <= 1)) {
        Bad("schedule.decay_fraction", s->decay_fraction(), "a fraction in (0, 1]");
      } else if (s->warmup_fraction() + s->decay_fraction() > 1) {
        Bad("schedule.decay_fraction", s->decay_fraction(),
            Cat("at most 1 - warmup_fraction = ", 1 - s->warmup_fraction()));
      }
    } else if (r_.Has("schedule.decay_fraction")) {
      NotUsed("schedule.decay_fraction", "by this shape (only wsd)");
    }
    if (wsd || cosine) {
      if (!(s->final_lr_fraction() >= 0 && s->final_lr_fraction() < 1)) {
        Bad("schedule.final_lr_fraction", s->final_lr_fraction(), "a fraction in [0, 1)");
      }
    } else if (r_.Has("schedule.final_lr_fraction")) {
      NotUsed("schedule.final_lr_fraction", "by this shape (only cosine and wsd)");
    }
  }

  void Optimizer() {
    augur::v1::OptimizerConfig* o = spec_.mutable_optimizer();
    const bool lr_searched = Searched(augur::v1::SEARCH_PARAMETER_PEAK_LR);
    const bool tau_searched = Searched(augur::v1::SEARCH_PARAMETER_TAU);
    const bool wd_searched = Searched(augur::v1::SEARCH_PARAMETER_WEIGHT_DECAY);
    const bool tau_set = r_.Has("optimizer.tau");
    const bool wd_set = r_.Has("optimizer.weight_decay");
    if (!r_.Has("optimizer.lr") && !lr_searched) {
      r_.ErrorAt("optimizer.lr", "missing; expected a peak learning rate (or search over lr)");
    } else if (r_.Has("optimizer.lr") && o->peak_lr() <= 0) {
      Bad("optimizer.lr", o->peak_lr(), "> 0");
    }
    if (tau_searched && wd_searched) {
      r_.ErrorAt("search.parameters.tau",
                 "tau and weight_decay are both searched; tau determines weight decay, so "
                 "search one of them");
    } else if ((tau_set || tau_searched) && (wd_set || wd_searched)) {
      r_.ErrorAt(tau_set ? "optimizer.tau" : "search.parameters.tau",
                 Cat("conflicts with ",
                     wd_set ? "optimizer.weight_decay" : "search.parameters.weight_decay",
                     "; tau determines weight decay, so give only one of them"));
    }
    if (tau_set && o->tau() <= 0) Bad("optimizer.tau", o->tau(), "> 0 (a fraction of training)");
    if (wd_set && o->weight_decay() < 0) Bad("optimizer.weight_decay", o->weight_decay(), ">= 0");
    if (!tau_set && !wd_set && !tau_searched && !wd_searched) {
      o->set_weight_decay(kDefaultWeightDecay);
    }
    if (!r_.Has("optimizer.betas")) {
      o->set_beta1(kDefaultBeta1);
      o->set_beta2(kDefaultBeta2);
    }
    if (!(o->beta1() >= 0 && o->beta1() < 1)) Bad("optimizer.betas[0]", o->beta1(), "in [0, 1)");
    if (!(o->beta2() >= 0 && o->beta2() < 1)) Bad("optimizer.betas[1]", o->beta2(), "in [0, 1)");
    if (!r_.Has("optimizer.eps")) o->set_epsilon(kDefaultEpsilon);
    if (o->epsilon() <= 0) Bad("optimizer.eps", o->epsilon(), "> 0");
    if (!r_.Has("optimizer.grad_clip")) o->set_grad_clip_norm(kDefaultGradClip);
    if (o->grad_clip_norm() < 0) Bad("optimizer.grad_clip", o->grad_clip_norm(), ">= 0 (0 = off)");
  }

  // The constraint on one value of a searched parameter, or "" if `v` satisfies it.
  static std::string ValueProblem(SearchParameter p, double v) {
    switch (p) {
      case augur::v1::SEARCH_PARAMETER_PEAK_LR:
      case augur::v1::SEARCH_PARAMETER_TAU:
        return v > 0 ? "" : "> 0";
      case augur::v1::SEARCH_PARAMETER_WEIGHT_DECAY:
        return v >= 0 ? "" : ">= 0";
      case augur::v1::SEARCH_PARAMETER_BATCH_SEQUENCES:
        return v >= 1 && v == std::floor(v) && v < 2147483648.0 ? "" : "a positive integer";
      default:
        return "";
    }
  }

  void Search() {
    augur::v1::SearchSpace* s = spec_.mutable_search();
    if (s->method() == augur::v1::SEARCH_METHOD_UNSPECIFIED) {
      s->set_method(augur::v1::SEARCH_METHOD_GRID);
    }
    const bool grid = s->method() == augur::v1::SEARCH_METHOD_GRID;
    if (grid) {
      if (r_.Has("search.trials")) NotUsed("search.trials", "by grid search (only random, sobol)");
      if (r_.Has("search.seed")) NotUsed("search.seed", "by grid search (only random, sobol)");
    } else if (s->trials() <= 0) {
      if (r_.Has("search.trials")) {
        Bad("search.trials", s->trials(), "a positive number of trials per size");
      } else {
        r_.ErrorAt("search.trials", "missing; random and sobol search need a number of trials");
      }
    }
    if (s->dimensions().empty()) {  // No search: one point, at optimizer.lr, as docs/spec.md says.
      if (!grid) {
        r_.ErrorAt("search.parameters", "missing; random and sobol search need a parameter");
      } else if (spec_.optimizer().peak_lr() > 0) {
        SearchDimension* one = s->add_dimensions();
        one->set_parameter(augur::v1::SEARCH_PARAMETER_PEAK_LR);
        one->add_values(spec_.optimizer().peak_lr());
      }
    }
    for (SearchDimension& d : *s->mutable_dimensions()) {
      const std::string field = Cat("search.parameters.", SearchParameterKey(d.parameter()));
      if (d.values_size() > 0) {
        std::set<double> seen;
        for (int i = 0; i < d.values_size(); ++i) {
          const std::string f = Cat(field, "[", i, "]");
          const std::string problem = ValueProblem(d.parameter(), d.values(i));
          if (!problem.empty()) Bad(f, d.values(i), problem);
          if (!seen.insert(d.values(i)).second) {
            r_.ErrorAt(f, Cat("got ", d.values(i), " twice; expected distinct values"));
          }
        }
        continue;
      }
      if (!r_.Has(field + ".min") || !r_.Has(field + ".max")) continue;  // Already reported.
      for (const auto& [key, v] : {std::pair{".min", d.min()}, std::pair{".max", d.max()}}) {
        const std::string problem = ValueProblem(d.parameter(), v);
        if (!problem.empty()) Bad(field + key, v, problem);
      }
      if (!(d.min() < d.max())) {
        r_.ErrorAt(field + ".min",
                   Cat("got ", d.min(), ", expected less than max (", d.max(), ")"));
      }
      if (d.log_scale() && d.min() <= 0) {
        Bad(field + ".min", d.min(), "> 0 for a log range");
      }
      if (grid) {
        if (!r_.Has(field + ".points")) d.set_grid_points(kDefaultGridPoints);
        if (d.grid_points() < 2) Bad(field + ".points", d.grid_points(), ">= 2 grid points");
      } else if (r_.Has(field + ".points")) {
        NotUsed(field + ".points", "by random or sobol search (use search.trials)");
      }
    }
  }

  void Seeds() {
    if (spec_.seeds_size() == 0) {
      if (r_.Has("seeds")) {
        r_.ErrorAt("seeds", "got an empty list, expected at least one seed");
      } else {
        spec_.add_seeds(0);
      }
    }
    std::set<uint64_t> seen;
    for (int i = 0; i < spec_.seeds_size(); ++i) {
      if (!seen.insert(spec_.seeds(i)).second) {
        r_.ErrorAt(Cat("seeds[", i, "]"),
                   Cat("got ", spec_.seeds(i), " twice; expected distinct seeds"));
      }
    }
  }

  const SpecParseOptions& options_;
  YamlReader& r_;
  SweepSpec& spec_;
};

}  // namespace

void ReportNotUsed(YamlReader& r, std::string_view field, std::string_view by) {
  r.ErrorAt(field, Cat("is not used ", by, "; remove it"));
}

std::string ResolveSpecPath(const SpecParseOptions& options, YamlReader& r, std::string_view field,
                            const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = options.base_dir / p;
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(p, ec);
  if (!ec) p = absolute;
  p = p.lexically_normal();
  if (options.check_paths && !std::filesystem::is_regular_file(p, ec)) {
    r.ErrorAt(field,
              Cat("got `", path, "`, but ", p.string(),
                  std::filesystem::exists(p, ec) ? " is not a regular file" : " does not exist"));
  }
  return p.string();
}

std::string SearchParameterKey(SearchParameter parameter) {
  switch (parameter) {
    case augur::v1::SEARCH_PARAMETER_PEAK_LR:
      return "lr";
    case augur::v1::SEARCH_PARAMETER_WEIGHT_DECAY:
      return "weight_decay";
    case augur::v1::SEARCH_PARAMETER_TAU:
      return "tau";
    case augur::v1::SEARCH_PARAMETER_BATCH_SEQUENCES:
      return "batch_sequences";
    default:
      return "unspecified";
  }
}

void ApplyDefaultsAndCheck(const SpecParseOptions& options, YamlReader& reader, SweepSpec& spec) {
  Checker(options, reader, spec).Run();
}

}  // namespace augur::cli::internal
