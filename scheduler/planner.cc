#include "scheduler/planner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/model_params.h"
#include "common/status_macros.h"
#include "scheduler/planner_checks.h"
#include "scheduler/search_points.h"

namespace augur {
namespace {

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

// The numbers a trial's row is built from (and the size guard and reference groups read).
struct TrialNumbers {
  GptParamCount params;
  int64_t batch_tokens = 0;
  int64_t steps = 0;
  double wd = 0;
  double tau = 0;
};

TrialNumbers NumbersOf(const v1::SweepSpec& spec, const TrialInputs& in) {
  const v1::ModelShape& shape = in.shape;
  GptShape gpt;
  gpt.width = shape.width();
  gpt.depth = shape.depth();
  gpt.heads = shape.heads();
  gpt.context_tokens = shape.context_tokens();
  gpt.vocab_size = shape.vocab_size();
  gpt.mlp_ratio = shape.mlp_ratio() > 0 ? shape.mlp_ratio() : 4.0;
  TrialNumbers n;
  n.params = CountGptParams(gpt);
  n.batch_tokens = static_cast<int64_t>(in.batch_sequences) * shape.context_tokens();
  n.steps = StepsForBudget(gpt, spec.tokens_per_param(), n.batch_tokens);
  const double eta = HiddenLr(in.peak_lr, shape.base_width(), shape.width());
  n.wd = in.decay.tau ? WeightDecayForTau(*in.decay.tau, eta, n.steps) : in.decay.weight_decay;
  n.tau = in.decay.tau ? *in.decay.tau : TauForWeightDecay(n.wd, eta, n.steps);
  return n;
}

v1::Trial BuildTrial(const v1::SweepSpec& spec, const PlannerOptions& options,
                     const TrialInputs& in) {
  const v1::ModelShape& shape = in.shape;
  const TrialNumbers n = NumbersOf(spec, in);
  const GptParamCount& params = n.params;
  const int64_t batch_tokens = n.batch_tokens;
  const int64_t steps = n.steps;
  const double wd = n.wd;
  const double tau = n.tau;

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

// The lower median of a multiset held as value -> count (`n` values in all).
template <typename T>
T LowerMedian(const std::map<T, int64_t>& counts, int64_t n) {
  int64_t seen = 0;
  for (const auto& [value, count] : counts) {
    seen += count;
    if (seen > (n - 1) / 2) return value;
  }
  return counts.rbegin()->first;
}

// The peak LRs and batches of a collapse group's trials, as counts of each value: a grid
// repeats a few values, and the median needs no order of arrival.
struct GroupStats {
  std::map<double, int64_t> lrs;
  std::map<int32_t, int64_t> batches;
  int64_t n = 0;
};

TrialInputs SearchedInputs(const v1::SweepSpec& spec, const v1::ModelSize& size,
                           const SearchPoint& p, uint64_t seed) {
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
  return in;
}

// The plan as a stream: references first, then every searched size x point x seed, each trial
// built when it is handed out. Holds the spec, one search point, and the reference runs'
// inputs (one per collapse group and reference shape); never a list of trials.
class SweepStream : public TrialStream {
 public:
  // Validates the spec and walks the searched trials once, without building them, for the
  // plan's size and the collapse groups' median LR and batch.
  static absl::StatusOr<std::unique_ptr<SweepStream>> Make(const v1::SweepSpec& spec,
                                                           absl::string_view sweep_id,
                                                           const PlannerOptions& options) {
    RETURN_IF_ERROR(ValidateSweepSpec(spec, options));
    std::unique_ptr<SweepStream> s(new SweepStream(spec, sweep_id, options));
    const v1::PolicyKind kind = spec.policy().kind();
    const bool references =
        (kind == v1::POLICY_KIND_COLLAPSE || kind == v1::POLICY_KIND_UNSPECIFIED) &&
        spec.policy().model_path().empty();
    std::vector<double> keys;  // Collapse groups by rounded tau, in order of first appearance.
    std::map<double, GroupStats> groups;
    TrialInputs in;
    while (s->NextSearched(in)) {
      const TrialNumbers n = NumbersOf(spec, in);
      s->size_.Add(n.steps, n.batch_tokens);
      if (!references) continue;
      const double key = RoundSignificant3(n.tau);
      auto [group, added] = groups.try_emplace(key);
      if (added) keys.push_back(key);
      ++group->second.lrs[in.peak_lr];
      ++group->second.batches[in.batch_sequences];
      ++group->second.n;
    }
    s->RestartSearched();
    if (!references) return s;
    ASSIGN_OR_RETURN(const auto shapes, ReferenceShapes(spec));
    for (double key : keys) {
      const GroupStats& group = groups[key];
      for (const auto& [name, shape] : shapes) {
        TrialInputs ref;
        ref.size_name = name;
        ref.shape = shape;
        ref.peak_lr = LowerMedian(group.lrs, group.n);
        ref.batch_sequences = LowerMedian(group.batches, group.n);
        if (key > 0) ref.decay.tau = key;  // key 0: no weight decay in this group.
        ref.seed = s->seeds_.front();
        ref.is_reference = true;
        const TrialNumbers n = NumbersOf(spec, ref);
        s->size_.Add(n.steps, n.batch_tokens);
        s->references_.push_back(std::move(ref));
      }
    }
    return s;
  }

  const PlannedSize& size() const override { return size_; }

  absl::Status Next(size_t max, std::vector<v1::Trial>& batch) override {
    batch.clear();
    while (batch.size() < std::max<size_t>(1, max)) {
      TrialInputs in;
      if (reference_at_ < references_.size()) {
        in = references_[reference_at_++];
      } else if (!NextSearched(in)) {
        break;
      }
      v1::Trial trial = BuildTrial(spec_, options_, in);
      trial.set_trial_id(absl::StrFormat("%s/t%03d", sweep_id_, handed_out_++));
      trial.set_sweep_id(sweep_id_);
      batch.push_back(std::move(trial));
    }
    return absl::OkStatus();
  }

 private:
  SweepStream(const v1::SweepSpec& spec, absl::string_view sweep_id, const PlannerOptions& options)
      : spec_(spec),
        sweep_id_(sweep_id),
        options_(options),
        points_(spec_.search(), options.micro_batch_sequences) {
    // No seeds listed means seed 0.
    if (spec_.seeds().empty()) seeds_.push_back(0);
    for (uint64_t seed : spec_.seeds()) seeds_.push_back(seed);
    for (int i = 0; i < spec_.sizes_size(); ++i) {
      if (!spec_.sizes(i).reference_only()) sizes_.push_back(i);
    }
  }

  // The inputs of the next searched trial (size, then point, then seed); false at the end.
  bool NextSearched(TrialInputs& in) {
    while (size_at_ < sizes_.size()) {
      if (seed_at_ == 0) {
        if (point_at_ == points_.count()) {
          ++size_at_;
          point_at_ = 0;
          points_.Restart();
          continue;
        }
        point_ = points_.Next();
        ++point_at_;
      }
      in = SearchedInputs(spec_, spec_.sizes(sizes_[size_at_]), point_, seeds_[seed_at_]);
      seed_at_ = (seed_at_ + 1) % seeds_.size();
      return true;
    }
    return false;
  }
  void RestartSearched() {
    size_at_ = 0;
    point_at_ = 0;
    seed_at_ = 0;
    points_.Restart();
  }

  const v1::SweepSpec spec_;
  const std::string sweep_id_;
  const PlannerOptions options_;
  std::vector<uint64_t> seeds_;
  std::vector<int> sizes_;  // The searched sizes, as indexes into spec_.sizes().
  SearchPoints points_;     // Over spec_.search().
  std::vector<TrialInputs> references_;
  PlannedSize size_;
  size_t reference_at_ = 0;
  int64_t handed_out_ = 0;
  size_t size_at_ = 0;
  int64_t point_at_ = 0;
  size_t seed_at_ = 0;
  SearchPoint point_;
};
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

absl::StatusOr<std::unique_ptr<TrialStream>> StreamSweep(const v1::SweepSpec& spec,
                                                         absl::string_view sweep_id,
                                                         const PlannerOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SweepStream> stream, SweepStream::Make(spec, sweep_id, options));
  return std::unique_ptr<TrialStream>(std::move(stream));
}

absl::StatusOr<std::vector<v1::Trial>> PlanSweep(const v1::SweepSpec& spec,
                                                 absl::string_view sweep_id,
                                                 const PlannerOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SweepStream> stream, SweepStream::Make(spec, sweep_id, options));
  std::vector<v1::Trial> trials, batch;
  trials.reserve(static_cast<size_t>(stream->size().trials));
  while (true) {
    RETURN_IF_ERROR(stream->Next(1000, batch));
    if (batch.empty()) return trials;
    for (v1::Trial& t : batch) trials.push_back(std::move(t));
  }
}

}  // namespace augur
