#include "scheduler/planner.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/model_params.h"
#include "common/status_macros.h"
#include "scheduler/planner_checks.h"
#include "scheduler/sobol.h"

namespace augur {
namespace {

using v1::SearchDimension;
using v1::SearchParameter;

// One point of the search space: a value per searched parameter (indexed by the enum).
using SearchPoint = std::array<std::optional<double>, 5>;

constexpr int kDefaultGridPoints = 3;

// Values of a dimension for grid search, in order.
std::vector<double> GridValues(const SearchDimension& d) {
  if (d.values_size() > 0) return {d.values().begin(), d.values().end()};
  const int n = d.grid_points() > 0 ? d.grid_points() : kDefaultGridPoints;
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const double f = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    if (i == n - 1 && n > 1) {
      out.push_back(d.max());  // Exactly, not up to rounding.
    } else if (d.log_scale()) {
      out.push_back(std::exp(std::log(d.min()) + f * (std::log(d.max()) - std::log(d.min()))));
    } else {
      out.push_back(d.min() + f * (d.max() - d.min()));
    }
  }
  return out;
}

// Maps u in [0, 1) to the dimension: an index into its values, or a point of its range.
double FromUnit(const SearchDimension& d, double u) {
  if (d.values_size() > 0) {
    const int i = std::min(d.values_size() - 1, static_cast<int>(u * d.values_size()));
    return d.values(i);
  }
  if (d.log_scale())
    return std::exp(std::log(d.min()) + u * (std::log(d.max()) - std::log(d.min())));
  return d.min() + u * (d.max() - d.min());
}

// `micro_batch` > 0 rounds batch sizes drawn from a range to a multiple of it.
std::vector<SearchPoint> SearchPoints(const v1::SearchSpace& search, int32_t micro_batch) {
  const auto& dims = search.dimensions();
  std::vector<SearchPoint> points;
  if (search.method() == v1::SEARCH_METHOD_RANDOM || search.method() == v1::SEARCH_METHOD_SOBOL) {
    std::mt19937_64 rng(search.sample_seed());
    std::optional<SobolSequence> sobol;
    if (search.method() == v1::SEARCH_METHOD_SOBOL) {
      sobol.emplace(dims.size(), /*scramble=*/true, search.sample_seed());
    }
    for (int t = 0; t < search.trials(); ++t) {
      std::vector<double> u(dims.size());
      if (sobol) {
        u = sobol->Next();
      } else {
        for (double& x : u) x = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1).
      }
      SearchPoint p;
      for (int i = 0; i < dims.size(); ++i) p[dims[i].parameter()] = FromUnit(dims[i], u[i]);
      points.push_back(p);
    }
  } else {
    points.push_back(SearchPoint());
    for (const SearchDimension& d : dims) {
      std::vector<SearchPoint> next;
      for (const SearchPoint& p : points) {
        for (double v : GridValues(d)) {
          next.push_back(p);
          next.back()[d.parameter()] = v;
        }
      }
      points = std::move(next);
    }
  }
  for (SearchPoint& p : points) {
    auto& batch = p[v1::SEARCH_PARAMETER_BATCH_SEQUENCES];
    const double unit = micro_batch > 0 ? micro_batch : 1;
    if (batch) batch = std::max(unit, std::round(*batch / unit) * unit);
  }
  return points;
}

// How the trial's weight decay is decided.
struct Decay {
  std::optional<double> tau;  // Solve weight decay for this tau...
  double weight_decay = 0;    // ...or apply this one.
};

struct TrialInputs {
  std::string size_name;
  v1::ModelShape shape;
  double peak_lr = 0;
  int32_t batch_sequences = 0;
  Decay decay;
  uint64_t seed = 0;
  bool is_reference = false;
};

v1::Trial BuildTrial(const v1::SweepSpec& spec, const PlannerOptions& options,
                     const TrialInputs& in) {
  const v1::ModelShape& shape = in.shape;
  GptShape gpt;
  gpt.width = shape.width();
  gpt.depth = shape.depth();
  gpt.heads = shape.heads();
  gpt.context_tokens = shape.context_tokens();
  gpt.vocab_size = shape.vocab_size();
  gpt.mlp_ratio = shape.mlp_ratio() > 0 ? shape.mlp_ratio() : 4.0;
  const GptParamCount params = CountGptParams(gpt);
  const int64_t batch_tokens = static_cast<int64_t>(in.batch_sequences) * shape.context_tokens();
  const int64_t steps = StepsForBudget(gpt, spec.tokens_per_param(), batch_tokens);
  const double eta = HiddenLr(in.peak_lr, shape.base_width(), shape.width());
  const double wd =
      in.decay.tau ? WeightDecayForTau(*in.decay.tau, eta, steps) : in.decay.weight_decay;
  const double tau = in.decay.tau ? *in.decay.tau : TauForWeightDecay(wd, eta, steps);

  v1::Trial trial;
  trial.set_state(v1::TRIAL_STATE_PENDING);
  trial.set_is_reference(in.is_reference);
  v1::TrialHyperparameters* h = trial.mutable_hyperparameters();
  h->set_peak_lr(in.peak_lr);
  h->set_weight_decay(wd);
  h->set_tau(tau);
  h->set_batch_sequences(in.batch_sequences);
  h->set_model_size(in.size_name);
  h->set_seed(in.seed);

  v1::TrialConfig* c = trial.mutable_config();
  *c->mutable_model() = shape;
  *c->mutable_data() = spec.data();
  *c->mutable_optimizer() = spec.optimizer();
  c->mutable_optimizer()->set_peak_lr(in.peak_lr);
  // The trainer gets exactly one of the two (it refuses both): tau when tau is the control, so
  // it solves weight decay with its own muP learning rate; the solved value (identical by the
  // same formula) is what the hyperparameters and controls report.
  c->mutable_optimizer()->set_weight_decay(in.decay.tau ? 0.0 : wd);
  c->mutable_optimizer()->set_tau(in.decay.tau ? tau : 0.0);
  *c->mutable_schedule() = spec.schedule();
  c->set_batch_sequences(in.batch_sequences);
  c->set_micro_batch_sequences(options.micro_batch_sequences);
  c->set_tokens_per_param(spec.tokens_per_param());
  c->set_total_steps(steps);
  c->set_seed(in.seed);
  c->set_eval_interval_steps(spec.eval_interval_steps());
  c->set_eval_sequences(spec.eval_sequences());
  c->set_checkpoint_interval_steps(spec.checkpoint_interval_steps());
  *c->mutable_resources() = spec.resources();

  v1::CurveControls* k = trial.mutable_controls();
  k->set_tokens_per_param(spec.tokens_per_param());
  k->set_tau(tau);
  *k->mutable_schedule() = spec.schedule();
  k->set_peak_lr(in.peak_lr);
  k->set_weight_decay(wd);
  k->set_batch_tokens(batch_tokens);
  k->set_params(params.non_embedding);
  k->set_params_with_embeddings(params.total);
  k->set_seed(in.seed);
  k->set_total_steps(steps);
  return trial;
}

std::string SizeName(const v1::ModelSize& size) {
  return size.name().empty() ? absl::StrCat("w", size.shape().width()) : size.name();
}

// The shapes of the reference runs (see planner.h).
// The shapes of the collapse reference runs: the reference_only sizes, else one at
// reference_width_ratio x the smallest searched width, rounded to its heads (head dimension at
// least 8), or with fewer heads of the same dimension when that is not smaller, so that the
// reference is a genuinely smaller model. FAILED_PRECONDITION when no
// smaller model of head dimension >= 8 exists: a reference identical to a trial costs a whole
// trial and predicts nothing a trial would not.
absl::StatusOr<std::vector<std::pair<std::string, v1::ModelShape>>> ReferenceShapes(
    const v1::SweepSpec& spec) {
  std::vector<std::pair<std::string, v1::ModelShape>> out;
  const v1::ModelSize* smallest = nullptr;
  for (const v1::ModelSize& size : spec.sizes()) {
    if (size.reference_only()) {
      out.emplace_back(SizeName(size), size.shape());
    } else if (smallest == nullptr || size.shape().width() < smallest->shape().width()) {
      smallest = &size;
    }
  }
  if (!out.empty()) return out;
  const double ratio = spec.policy().reference_width_ratio() > 0
                           ? spec.policy().reference_width_ratio()
                           : kDefaultReferenceWidthRatio;
  v1::ModelShape shape = smallest->shape();
  if (shape.base_width() == 0) shape.set_base_width(shape.width());  // Keep the family's muP base.
  const int32_t width = smallest->shape().width();
  const int32_t heads = std::max(1, shape.heads());
  // The same heads, narrower (head dimension at least 8); else fewer heads of the same dimension.
  int32_t ref_heads = heads;
  int32_t ref_width = static_cast<int32_t>(std::lround(ratio * width / heads)) * heads;
  if (ref_width < 8 * heads || ref_width >= width) {
    const int32_t head_dim = width / heads;
    ref_heads = std::max<int32_t>(1, std::lround(ratio * width / head_dim));
    ref_width = ref_heads * head_dim;
    if (head_dim < 8 || ref_width >= width) {
      return absl::FailedPreconditionError(absl::StrCat(
          "policy.reference_width_ratio: no reference smaller than the smallest size (width ",
          width, ", ", heads,
          " heads) can be planned; give a fitted policy.model, a size with reference_only: "
          "true, or another policy kind"));
    }
  }
  shape.set_width(ref_width);
  shape.set_heads(ref_heads);
  out.emplace_back(absl::StrCat("ref-w", shape.width()), shape);
  return out;
}

template <typename T>
T LowerMedian(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  return values[(values.size() - 1) / 2];
}

}  // namespace

double HiddenLr(double peak_lr, int32_t base_width, int32_t width) {
  return peak_lr * static_cast<double>(base_width > 0 ? base_width : width) / width;
}

double WeightDecayForTau(double tau, double eta_hidden, int64_t total_steps) {
  return 1.0 / (eta_hidden * tau * static_cast<double>(total_steps));
}

double TauForWeightDecay(double weight_decay, double eta_hidden, int64_t total_steps) {
  if (weight_decay == 0) return 0;
  return 1.0 / (eta_hidden * weight_decay * static_cast<double>(total_steps));
}

double RoundSignificant3(double value) {
  if (value == 0 || !std::isfinite(value)) return value;
  const double scale =
      std::pow(10.0, 2 - static_cast<int>(std::floor(std::log10(std::fabs(value)))));
  return std::round(value * scale) / scale;
}

absl::StatusOr<std::vector<v1::Trial>> PlanSweep(const v1::SweepSpec& spec,
                                                 absl::string_view sweep_id,
                                                 const PlannerOptions& options) {
  RETURN_IF_ERROR(ValidateSweepSpec(spec, options));
  const std::vector<SearchPoint> points =
      SearchPoints(spec.search(), options.micro_batch_sequences);
  // No seeds listed means seed 0. (Built in one expression: GCC 12 at -O3 reports a false
  // free-nonheap-object when a copied vector is grown afterwards.)
  const std::vector<uint64_t> seeds =
      spec.seeds().empty() ? std::vector<uint64_t>{0}
                           : std::vector<uint64_t>(spec.seeds().begin(), spec.seeds().end());

  std::vector<v1::Trial> searched;
  for (const v1::ModelSize& size : spec.sizes()) {
    if (size.reference_only()) continue;
    for (const SearchPoint& p : points) {
      for (uint64_t seed : seeds) {
        TrialInputs in;
        in.size_name = SizeName(size);
        in.shape = size.shape();
        in.peak_lr = p[v1::SEARCH_PARAMETER_PEAK_LR].value_or(spec.optimizer().peak_lr());
        in.batch_sequences = static_cast<int32_t>(
            p[v1::SEARCH_PARAMETER_BATCH_SEQUENCES].value_or(spec.batch_sequences()));
        if (p[v1::SEARCH_PARAMETER_TAU]) {
          in.decay.tau = *p[v1::SEARCH_PARAMETER_TAU];
        } else if (p[v1::SEARCH_PARAMETER_WEIGHT_DECAY]) {
          in.decay.weight_decay = *p[v1::SEARCH_PARAMETER_WEIGHT_DECAY];
        } else if (spec.optimizer().tau() > 0) {
          in.decay.tau = spec.optimizer().tau();
        } else {
          in.decay.weight_decay = spec.optimizer().weight_decay();
        }
        in.seed = seed;
        searched.push_back(BuildTrial(spec, options, in));
      }
    }
  }

  std::vector<v1::Trial> references;
  const v1::PolicyKind kind = spec.policy().kind();
  if ((kind == v1::POLICY_KIND_COLLAPSE || kind == v1::POLICY_KIND_UNSPECIFIED) &&
      spec.policy().model_path().empty()) {
    // Collapse groups by rounded tau, in order of first appearance.
    std::vector<double> keys;
    std::map<double, std::vector<const v1::Trial*>> groups;
    for (const v1::Trial& t : searched) {
      const double key = RoundSignificant3(t.controls().tau());
      if (!groups.contains(key)) keys.push_back(key);
      groups[key].push_back(&t);
    }
    ASSIGN_OR_RETURN(const auto shapes, ReferenceShapes(spec));
    for (double key : keys) {
      std::vector<double> lrs;
      std::vector<int32_t> batches;
      for (const v1::Trial* t : groups[key]) {
        lrs.push_back(t->hyperparameters().peak_lr());
        batches.push_back(t->hyperparameters().batch_sequences());
      }
      for (const auto& [name, shape] : shapes) {
        TrialInputs in;
        in.size_name = name;
        in.shape = shape;
        in.peak_lr = LowerMedian(lrs);
        in.batch_sequences = LowerMedian(batches);
        if (key > 0) in.decay.tau = key;  // key 0: no weight decay in this group.
        in.seed = seeds.front();
        in.is_reference = true;
        references.push_back(BuildTrial(spec, options, in));
      }
    }
  }

  std::vector<v1::Trial> trials = std::move(references);
  for (v1::Trial& t : searched) trials.push_back(std::move(t));
  for (size_t i = 0; i < trials.size(); ++i) {
    trials[i].set_trial_id(absl::StrFormat("%s/t%03d", sweep_id, i));
    trials[i].set_sweep_id(std::string(sweep_id));
  }
  return trials;
}

}  // namespace augur
