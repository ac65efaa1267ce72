#include "trainer/trainer.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/checkpoint_retention.h"
#include "common/status_macros.h"
#include "trainer/adamw.h"
#include "trainer/adamw_tensor.h"
#include "trainer/checkpoint.h"
#include "trainer/data.h"
#include "trainer/model.h"
#include "trainer/schedule.h"

namespace augur::trainer {
namespace {

// Turns bf16 autocast on for the lifetime of the guard (CUDA only).
class AutocastGuard {
 public:
  explicit AutocastGuard(bool enable) : enabled_(enable) {
    if (!enabled_) return;
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  }
  ~AutocastGuard() {
    if (!enabled_) return;
    at::autocast::set_enabled(false);
    at::autocast::clear_cache();
  }

 private:
  bool enabled_;
};

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

class Run {
 public:
  Run(const TrialSpec& spec, const ResolvedTrial& resolved, const RunOptions& options,
      GradientReducer* reducer, at::Device device, const TokenDataset* data,
      std::string fingerprint)
      : spec_(spec),
        r_(resolved),
        options_(options),
        reducer_(reducer),
        device_(device),
        data_(data),
        fingerprint_(std::move(fingerprint)),
        model_(spec.shape, spec.base_width, device) {}

  absl::StatusOr<RunResult> Execute();

 private:
  at::Tensor Batch(int64_t step, int64_t first_index, int64_t count);
  absl::StatusOr<double> Evaluate();
  void OptimizerStep(int64_t update, double lr, double grad_scale);
  absl::Status SaveCheckpoint(int64_t step, RunResult* result);

  const TrialSpec& spec_;
  const ResolvedTrial& r_;
  const RunOptions& options_;
  GradientReducer* reducer_;
  at::Device device_;
  const TokenDataset* data_;
  const std::string fingerprint_;  // Of the trial as configured (data path before defaulting).
  GptModel model_;
  at::Tensor adam_m_, adam_v_;
  double last_val_loss_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<int64_t> host_tokens_;
};

at::Tensor Run::Batch(int64_t step, int64_t first_index, int64_t count) {
  const int64_t t = spec_.shape.context_tokens;
  host_tokens_.resize(static_cast<size_t>(count * (t + 1)));
  for (int64_t s = 0; s < count; ++s) {
    int64_t* out = host_tokens_.data() + s * (t + 1);
    if (step >= 0) {
      data_->TrainSequence(spec_.data.data_seed, step, first_index + s, t, out);
    } else {
      data_->ValSequence(first_index + s, spec_.eval_sequences, t, out);
    }
  }
  at::Tensor host = at::from_blob(host_tokens_.data(), {count, t + 1}, at::kLong);
  return device_.is_cpu() ? host.clone() : host.to(device_);
}

absl::StatusOr<double> Run::Evaluate() {
  at::NoGradGuard no_grad;
  AutocastGuard autocast(device_.is_cuda());
  const int world = reducer_->world_size(), rank = reducer_->rank();
  const int64_t n = spec_.eval_sequences;
  const int64_t begin = n * rank / world, end = n * (rank + 1) / world;
  const int64_t chunk =
      spec_.micro_batch_sequences > 0 ? spec_.micro_batch_sequences : spec_.batch_sequences / world;
  double sum = 0;
  for (int64_t i = begin; i < end; i += chunk) {
    const int64_t count = std::min(chunk, end - i);
    sum += model_.Loss(Batch(-1, i, count)).item<double>() * static_cast<double>(count);
  }
  // Mean over ranks of (sum, count) has the same ratio as the global (sum, count).
  at::Tensor buf = at::tensor({static_cast<float>(sum), static_cast<float>(end - begin)},
                              at::TensorOptions().dtype(at::kFloat))
                       .to(device_);
  RETURN_IF_ERROR(reducer_->AllReduceMean(buf.data_ptr<float>(), 2));
  buf = buf.cpu();
  return static_cast<double>(buf[0].item<float>()) / static_cast<double>(buf[1].item<float>());
}

void Run::OptimizerStep(int64_t update, double lr, double grad_scale) {
  at::NoGradGuard no_grad;
  const OptimizerConfig& o = spec_.optimizer;
  for (const ParamSpec& p : model_.layout().params) {
    AdamWStepParams h;
    h.lr = static_cast<float>(lr * p.lr_multiplier);
    h.weight_decay = p.weight_decay ? static_cast<float>(r_.weight_decay) : 0.0f;
    h.beta1 = static_cast<float>(o.beta1);
    h.beta2 = static_cast<float>(o.beta2);
    h.epsilon = static_cast<float>(o.epsilon);
    h.step = update;
    h.grad_scale = static_cast<float>(grad_scale);
    if (device_.is_cpu()) {
      float* pp = model_.flat_params().data_ptr<float>() + p.offset;
      const float* gp = model_.flat_grads().data_ptr<float>() + p.offset;
      float* mp = adam_m_.data_ptr<float>() + p.offset;
      float* vp = adam_v_.data_ptr<float>() + p.offset;
      at::parallel_for(0, p.numel, 1 << 14, [&](int64_t b, int64_t e) {
        AdamWUpdate(h, e - b, pp + b, gp + b, mp + b, vp + b);
      });
      continue;
    }
    // Device path: the same update as tensor ops on this parameter's slices.
    AdamWTensorUpdate(h, model_.flat_params().narrow(0, p.offset, p.numel),
                      model_.flat_grads().narrow(0, p.offset, p.numel),
                      adam_m_.narrow(0, p.offset, p.numel), adam_v_.narrow(0, p.offset, p.numel));
  }
}

absl::Status Run::SaveCheckpoint(int64_t step, RunResult* result) {
  if (options_.checkpoint_dir.empty() || reducer_->rank() != 0) return absl::OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(options_.checkpoint_dir, ec);
  // One immutable file per step: a checkpoint the scheduler has committed is never overwritten
  // by a later one (an orphaned trainer of a dead worker may still write one before it dies).
  char name[64];
  std::snprintf(name, sizeof(name), "/step-%010lld.ckpt", static_cast<long long>(step));
  const std::string path = options_.checkpoint_dir + name;
  const at::Tensor p = model_.flat_params().cpu(), m = adam_m_.cpu(), v = adam_v_.cpu();
  const std::string& fingerprint = fingerprint_;
  CheckpointView view{&fingerprint,
                      step,
                      step * r_.batch_tokens,
                      spec_.seed,
                      spec_.data.data_seed,
                      last_val_loss_,
                      {p.data_ptr<float>(), static_cast<size_t>(p.numel())},
                      {m.data_ptr<float>(), static_cast<size_t>(m.numel())},
                      {v.data_ptr<float>(), static_cast<size_t>(v.numel())}};
  RETURN_IF_ERROR(WriteCheckpoint(path, view));
  // The newest 3, and never the one the scheduler committed (common/checkpoint_retention.h).
  PruneCheckpoints(options_.checkpoint_dir, /*keep=*/3);
  result->checkpoint_path = path;
  if (options_.on_checkpoint) options_.on_checkpoint(step, path);
  return absl::OkStatus();
}

absl::StatusOr<RunResult> Run::Execute() {
  RunResult result;
  result.resolved = r_;
  result.device = device_.str();
  result.threads = at::get_num_threads();
  const int world = reducer_->world_size();
  const int64_t local = spec_.batch_sequences / world;
  const int64_t micro = spec_.micro_batch_sequences > 0 ? spec_.micro_batch_sequences : local;
  const int64_t total = model_.layout().total_numel;
  const auto fopts = at::TensorOptions().dtype(at::kFloat).device(device_);
  adam_m_ = at::zeros({total}, fopts);
  adam_v_ = at::zeros({total}, fopts);
  model_.Initialize(spec_.seed);

  int64_t start = 0;
  if (!options_.resume_from.empty()) {
    ASSIGN_OR_RETURN(CheckpointState ck, ReadCheckpoint(options_.resume_from));
    if (ck.fingerprint != fingerprint_) {
      return absl::FailedPreconditionError(
          absl::StrCat("checkpoint ", options_.resume_from, " belongs to another trial config"));
    }
    if (static_cast<int64_t>(ck.params.size()) != total) {
      return absl::FailedPreconditionError("checkpoint parameter count does not match the model");
    }
    at::NoGradGuard no_grad;
    auto load = [&](at::Tensor& dst, std::vector<float>& src) {
      dst.copy_(at::from_blob(src.data(), {total}, at::kFloat));
    };
    load(model_.flat_params(), ck.params);
    load(adam_m_, ck.adam_m);
    load(adam_v_, ck.adam_v);
    start = ck.step;
    last_val_loss_ = ck.last_val_loss;
  }
  // Resumed at or past the step it is to stop after (a trial waiting at a milestone leased
  // again before it moved on): nothing to train, and the checkpoint it resumed from stands.
  if (options_.stop_after_step > 0 && start >= options_.stop_after_step && start < r_.total_steps) {
    result.outcome = RunOutcome::kStopped;
    result.steps_done = start;
    result.checkpoint_path = options_.resume_from;
    return result;
  }

  const int64_t total_steps = r_.total_steps;
  using Clock = std::chrono::steady_clock;
  // Throughput counts training steps after the first (warm-up) one; evaluation and checkpoint
  // time is excluded. Process CPU time is reported too: it is robust to other load.
  Clock::time_point timed_start;
  double timed_cpu_start = 0, excluded_seconds = 0, excluded_cpu = 0;
  int64_t timed_tokens = 0;
  bool stop_requested = false;
  for (int64_t t = start; t < total_steps; ++t) {
    if (t == start + 1) {
      timed_start = Clock::now();
      timed_cpu_start = ProcessCpuSeconds();
    }
    model_.ZeroGrads();
    double loss_sum = 0;
    {
      AutocastGuard autocast(device_.is_cuda());
      for (int64_t j = 0; j < local; j += micro) {
        at::Tensor loss = model_.Loss(Batch(t, reducer_->rank() * local + j, micro));
        const double weight = static_cast<double>(micro) / static_cast<double>(local);
        (loss * weight).backward();
        loss_sum += loss.item<double>() * weight;
      }
    }
    at::Tensor grads = model_.flat_grads();
    grads.narrow(0, total, 1).fill_(loss_sum);
    // A stop asked for on any rank at the previous step stops every rank after this one.
    grads.narrow(0, total + 1, 1).fill_(stop_requested ? 1.0 : 0.0);
    bool stop_agreed = stop_requested;
    double loss = loss_sum;
    if (world > 1) {
      RETURN_IF_ERROR(reducer_->AllReduceMean(grads.data_ptr<float>(), total + 2));
      loss = grads[total].item<double>();
      stop_agreed = grads[total + 1].item<double>() > 0;
    }
    const double grad_norm = grads.narrow(0, 0, total).norm().item<double>();

    StepReport report;
    report.step = t + 1;
    report.total_steps = total_steps;
    report.tokens = report.step * r_.batch_tokens;
    report.fraction = static_cast<double>(report.step) / static_cast<double>(total_steps);
    report.train_loss = loss;
    report.lr = spec_.optimizer.peak_lr *
                ScheduleFactor(spec_.schedule, ScheduleFractionForUpdate(t, total_steps));
    if (!std::isfinite(loss) || !std::isfinite(grad_norm)) {
      result.outcome = RunOutcome::kDiverged;
      result.message =
          absl::StrFormat("non-finite %s at step %d (loss %g, grad norm %g)",
                          std::isfinite(loss) ? "gradient" : "loss", report.step, loss, grad_norm);
      result.steps_done = t;
      result.final_train_loss = loss;
      if (options_.on_step) options_.on_step(report);
      return result;
    }
    const double clip = spec_.optimizer.grad_clip_norm;
    const double grad_scale = clip > 0 && grad_norm > clip ? clip / (grad_norm + 1e-6) : 1.0;
    OptimizerStep(t + 1, report.lr, grad_scale);
    if (t > start) timed_tokens += r_.batch_tokens;

    const bool last = report.step == total_steps;
    const int64_t eval_every = spec_.eval_interval_steps;
    const Clock::time_point extra_start = Clock::now();
    const double extra_cpu_start = ProcessCpuSeconds();
    if (last || (eval_every > 0 && report.step % eval_every == 0)) {
      ASSIGN_OR_RETURN(last_val_loss_, Evaluate());
      report.val_loss = last_val_loss_;
    }
    result.steps_done = report.step;
    result.final_train_loss = loss;
    if (report.val_loss) result.final_val_loss = report.val_loss;
    if (options_.on_step && !options_.on_step(report)) stop_requested = true;
    if (report.step == options_.stop_after_step) stop_requested = true;
    // Single process: stop now. Data parallel: the request travels with the next all-reduce.
    const bool stop = world > 1 ? stop_agreed : stop_requested;
    const int64_t ck_every = spec_.checkpoint_interval_steps;
    if ((stop && !last) || (ck_every > 0 && report.step % ck_every == 0)) {
      RETURN_IF_ERROR(SaveCheckpoint(report.step, &result));
    }
    excluded_seconds += std::chrono::duration<double>(Clock::now() - extra_start).count();
    excluded_cpu += ProcessCpuSeconds() - extra_cpu_start;
    if (stop && !last) {
      result.outcome = RunOutcome::kStopped;
      break;
    }
  }
  if (timed_tokens > 0) {
    const double seconds =
        std::chrono::duration<double>(Clock::now() - timed_start).count() - excluded_seconds;
    const double cpu = ProcessCpuSeconds() - timed_cpu_start - excluded_cpu;
    result.tokens_per_second = static_cast<double>(timed_tokens) / seconds;
    result.tokens_per_cpu_second = static_cast<double>(timed_tokens) / cpu;
  }
  return result;
}

}  // namespace

const char* RunOutcomeName(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kCompleted:
      return "COMPLETED";
    case RunOutcome::kDiverged:
      return "DIVERGED";
    case RunOutcome::kStopped:
      return "STOPPED";
  }
  return "UNKNOWN";
}

std::string TrialFingerprint(const TrialSpec& s, const ResolvedTrial& r) {
  const auto& o = s.optimizer;
  const auto& sc = s.schedule;
  return absl::StrFormat(
      "v1 w=%d d=%d h=%d ctx=%d vocab=%d mlp=%.17g base=%d data=%s fmt=%d val=%.17g dseed=%u "
      "lr=%.17g wd=%.17g b1=%.17g b2=%.17g eps=%.17g clip=%.17g sched=%s warm=%.17g "
      "decay=%.17g final=%.17g batch=%d steps=%d seed=%u",
      s.shape.width, s.shape.depth, s.shape.heads, s.shape.context_tokens, s.shape.vocab_size,
      s.shape.mlp_ratio, s.base_width, s.data.path, static_cast<int>(s.data.format),
      s.data.validation_fraction, s.data.data_seed, o.peak_lr, r.weight_decay, o.beta1, o.beta2,
      o.epsilon, o.grad_clip_norm, ScheduleShapeName(sc.shape), sc.warmup_fraction,
      sc.decay_fraction, sc.final_lr_fraction, s.batch_sequences, r.total_steps, s.seed);
}

absl::StatusOr<RunResult> RunTrial(const TrialSpec& spec_in, const RunOptions& options) {
  TrialSpec spec = spec_in;
  ASSIGN_OR_RETURN(const ResolvedTrial resolved, ResolveTrial(spec));
  if (spec.data.path.empty()) {
    ASSIGN_OR_RETURN(spec.data.path, DefaultCorpusPath());
  }
  std::unique_ptr<GradientReducer> single;
  GradientReducer* reducer = options.reducer;
  if (reducer == nullptr) {
    single = MakeSingleProcessReducer();
    reducer = single.get();
  }
  const int world = reducer->world_size();
  if (spec.batch_sequences % world != 0) {
    return absl::InvalidArgumentError(absl::StrCat("batch_sequences = ", spec.batch_sequences,
                                                   " must divide by the ", world, " ranks"));
  }
  const int64_t local = spec.batch_sequences / world;
  if (spec.micro_batch_sequences > 0 && local % spec.micro_batch_sequences != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("micro_batch_sequences = ", spec.micro_batch_sequences,
                     " must divide the per-rank batch of ", local, " sequences"));
  }
  ASSIGN_OR_RETURN(auto data, TokenDataset::Open(spec.data, spec.shape.context_tokens));
  if (data->format_vocab() > spec.shape.vocab_size && spec.data.format == DataFormat::kTextBytes) {
    return absl::InvalidArgumentError("byte-level text needs model.vocab_size >= 256");
  }
  try {
    const int threads = spec.cpu_threads > 0
                            ? spec.cpu_threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
    at::Device device(at::kCPU);
    if (spec.gpus > 0 && at::hasCUDA()) device = at::Device(at::kCUDA, 0);
    Run run(spec, resolved, options, reducer, device, data.get(),
            TrialFingerprint(spec_in, resolved));
    return run.Execute();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("trainer: ", e.what()));
  }
}

}  // namespace augur::trainer
