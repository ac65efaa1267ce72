#include "cli/spec_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_format.h"
#include "cli/spec_internal.h"
#include "cli/table.h"
#include "common/schedule_proto.h"
#include "common/text.h"
#include "scheduler/planner.h"

namespace augur::cli {
namespace {

using augur::v1::SearchDimension;

// Shard header of the nanoGPT/llm.c layout: 256 int32 values.
constexpr int64_t kShardHeaderBytes = 256 * 4;

std::string Human(double n) {
  char buffer[32];
  if (n < 1e3) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", n);
  } else if (n < 1e6) {
    std::snprintf(buffer, sizeof(buffer), "%.1fk", n / 1e3);
  } else if (n < 1e9) {
    std::snprintf(buffer, sizeof(buffer), "%.2fM", n / 1e6);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.2fB", n / 1e9);
  }
  return buffer;
}

std::string Fixed(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", v);
  return buffer;
}

std::string DescribeDimension(const SearchDimension& d, bool grid) {
  std::string out = internal::SearchParameterKey(d.parameter()) + " ";
  if (d.values_size() > 0) return out + "[" + JoinText(d.values(), ", ") + "]";
  out += Cat(d.log_scale() ? "log" : "", "[", d.min(), ", ", d.max(), "]");
  if (grid) out += Cat(" (", d.grid_points(), " points)");
  return out;
}

std::string DescribePolicy(const augur::v1::StoppingPolicy& p,
                           const std::vector<std::string>& reference_sizes) {
  const std::string at = Cat(" at ", JoinText(p.milestone_fractions(), ", "), " of training");
  switch (p.kind()) {
    case augur::v1::POLICY_KIND_NONE:
      return "none: every trial runs to the end";
    case augur::v1::POLICY_KIND_COLLAPSE:
      return Cat("collapse", at, ", per model size",
                 p.use_interval()
                     ? Cat("; stop a trial when its chance to end better than the leader by more "
                           "than ",
                           100 * p.tolerance(), "% is below ", 100 * p.risk(), "%")
                     : "; keep the best third by predicted final loss",
                 "; at the last milestone keep the top ", p.keep_top(),
                 p.use_interval() ? " per reference" : "",
                 p.asynchronous() ? "; asynchronous" : "; synchronous milestones",
                 !p.model_path().empty()    ? Cat("; fitted model ", p.model_path())
                 : !reference_sizes.empty() ? Cat("; references: ", JoinText(reference_sizes, ", "))
                                            : Cat("; reference runs at ", p.reference_width_ratio(),
                                                  "x the smallest width"));
    case augur::v1::POLICY_KIND_ASHA:
      return Cat("asha: rungs", at, "; reduction factor ", p.reduction_factor(), "; grace ",
                 p.grace_fraction());
    case augur::v1::POLICY_KIND_MEDIAN:
      return Cat("median", at, "; grace ", p.grace_fraction());
    case augur::v1::POLICY_KIND_TOP_K:
      return Cat("top_k", at, "; keep top ", p.keep_top());
    case augur::v1::POLICY_KIND_EXTRAPOLATION:
      return Cat("extrapolation", at, "; keep the best third, then the top ", p.keep_top(),
                 " at the last milestone");
    default:
      return "unspecified";
  }
}

}  // namespace

SweepSummary Summarize(const augur::v1::SweepSpec& spec) {
  SweepSummary s;
  s.name = spec.name();
  const bool grid = spec.search().method() == augur::v1::SEARCH_METHOD_GRID;

  std::vector<int64_t> batches;
  std::vector<std::string> dims;
  int64_t points = 1;
  for (const SearchDimension& d : spec.search().dimensions()) {
    dims.push_back(DescribeDimension(d, grid));
    points *= d.values_size() > 0 ? d.values_size() : d.grid_points();
    if (d.parameter() != augur::v1::SEARCH_PARAMETER_BATCH_SEQUENCES) continue;
    if (d.values_size() > 0) {
      for (double v : d.values()) batches.push_back(static_cast<int64_t>(v));
    } else {
      batches.push_back(static_cast<int64_t>(std::llround(d.min())));
      batches.push_back(static_cast<int64_t>(std::llround(d.max())));
    }
  }
  if (batches.empty()) batches.push_back(spec.batch_sequences());
  if (grid) {
    s.points_per_size = points;
    s.search = dims.empty() ? "grid: no searched parameters (1 point)"
                            : Cat("grid ", points, " points: ", JoinText(dims, " x "));
  } else {
    s.points_per_size = spec.search().trials();
    const bool sobol = spec.search().method() == augur::v1::SEARCH_METHOD_SOBOL;
    s.search = Cat(sobol ? "sobol" : "random", " ", s.points_per_size, " points (seed ",
                   spec.search().sample_seed(), "): ", JoinText(dims, ", "));
  }

  for (const augur::v1::ModelSize& size : spec.sizes()) {
    SizeSummary z;
    z.name = size.name();
    z.reference_only = size.reference_only();
    const augur::v1::ModelShape& m = size.shape();
    z.shape = GptShape{m.width(),          m.depth(),      m.heads(),
                       m.context_tokens(), m.vocab_size(), m.mlp_ratio()};
    z.params = CountGptParams(z.shape);
    z.budget_tokens = static_cast<int64_t>(
        std::llround(spec.tokens_per_param() * static_cast<double>(z.params.non_embedding)));
    z.batch_sequences = batches;
    for (int64_t b : batches) {
      z.steps.push_back(StepsForBudget(z.shape, spec.tokens_per_param(), b * m.context_tokens()));
    }
    if (!z.reference_only) {
      ++s.searched_sizes;
      s.full_tokens += z.budget_tokens;
    }
    s.sizes.push_back(std::move(z));
  }
  s.seeds = spec.seeds_size();
  s.trials = s.points_per_size * s.searched_sizes * s.seeds;
  s.full_tokens *= s.points_per_size * s.seeds;
  const ScheduleShape shape = ShapeFromProto(spec.schedule().shape());
  s.schedule = Cat(ScheduleShapeName(shape), ", warmup ", spec.schedule().warmup_fraction());
  if (shape == ScheduleShape::kWsd) {
    s.schedule += Cat(", decay ", spec.schedule().decay_fraction());
  }
  std::vector<std::string> reference_sizes;
  for (const SizeSummary& z : s.sizes) {
    if (z.reference_only) reference_sizes.push_back(z.name);
  }
  s.policy = DescribePolicy(spec.policy(), reference_sizes);
  s.reference_runs =
      spec.policy().kind() == augur::v1::POLICY_KIND_COLLAPSE && spec.policy().model_path().empty();

  const bool shard = spec.data().format() == augur::v1::DataSource::FORMAT_UINT16_SHARD;
  if (spec.data().path().empty()) {
    s.data = "corpus kjv: the King James Bible (Debian bible-kjv-text), extracted on the worker";
    return s;
  }
  s.data = Cat(spec.data().path(), shard ? " (uint16 shard)" : " (text, byte tokens)");
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(spec.data().path(), ec);
  if (!ec) {
    const int64_t b = static_cast<int64_t>(bytes);
    s.data_tokens = shard ? std::max<int64_t>(0, (b - kShardHeaderBytes) / 2) : b;
  }
  return s;
}

absl::Status AddPlan(const augur::v1::SweepSpec& spec, SweepSummary& summary) {
  absl::StatusOr<std::vector<augur::v1::Trial>> trials = PlanSweep(spec, "validate");
  if (!trials.ok()) return trials.status();
  summary.planned_trials = static_cast<int64_t>(trials->size());
  summary.planned_references = 0;
  summary.planned_tokens = 0;
  for (const augur::v1::Trial& t : *trials) {
    summary.planned_references += t.is_reference();
    summary.planned_tokens += t.config().total_steps() * t.config().batch_sequences() *
                              t.config().model().context_tokens();
  }
  return absl::OkStatus();
}

void PrintSummary(const SweepSummary& s, std::ostream& out) {
  int64_t largest = 0;
  for (const SizeSummary& z : s.sizes) largest = std::max(largest, z.budget_tokens);
  out << "Sweep " << s.name << " is valid.\n";
  out << "  data      " << s.data;
  if (s.data_tokens.has_value() && *s.data_tokens > 0) {
    out << ", " << Human(static_cast<double>(*s.data_tokens)) << " tokens; the longest trial reads "
        << Human(static_cast<double>(largest)) << " = "
        << Fixed(static_cast<double>(largest) / static_cast<double>(*s.data_tokens))
        << " epochs of it";
  }
  out << "\n  schedule  " << s.schedule << "\n";
  out << "  search    " << s.search << "\n";
  out << "  trials    " << s.trials << " = " << s.points_per_size << " points x "
      << s.searched_sizes << (s.searched_sizes == 1 ? " size x " : " sizes x ") << s.seeds
      << (s.seeds == 1 ? " seed" : " seeds");
  if (s.planned_references > 0) {
    out << ", + " << s.planned_references << " collapse reference run"
        << (s.planned_references == 1 ? "" : "s") << " = " << s.planned_trials << " planned";
  } else if (s.reference_runs && s.planned_trials == 0) {
    out << " (+ collapse reference runs)";
  }
  out << "\n  tokens    " << Human(static_cast<double>(s.full_tokens))
      << " if every trial runs to the end";
  if (s.planned_references > 0) {
    out << " (" << Human(static_cast<double>(s.planned_tokens)) << " with the reference runs)";
    // What the references cost, and why they are there.
    const double extra = static_cast<double>(s.planned_tokens - s.full_tokens);
    out << "\n  refs      +" << Human(extra) << " tokens, "
        << absl::StrFormat("%.1f%%", 100.0 * extra / std::max<double>(1, s.full_tokens))
        << " of the full sweep: one complete run at a smaller width per tau (a reference is never"
           " the trials' own model), the curve the policy reads the finals of that tau's trials"
           " off; a fitted policy.model plans none";
  }
  out << "\n";
  out << "  policy    " << s.policy << "\n\n";
  Table table({"SIZE", "WIDTH", "DEPTH", "HEADS", "CONTEXT", "PARAMS", "WITH EMB", "TOKENS",
               "BATCH", "STEPS", "ROLE"});
  for (size_t c = 1; c <= 9; ++c) table.SetAlign(c, Table::Align::kRight);
  for (const SizeSummary& z : s.sizes) {
    table.AddRow({z.name, Cat(z.shape.width), Cat(z.shape.depth), Cat(z.shape.heads),
                  Cat(z.shape.context_tokens), Human(static_cast<double>(z.params.non_embedding)),
                  Human(static_cast<double>(z.params.total)),
                  Human(static_cast<double>(z.budget_tokens)), JoinText(z.batch_sequences, "/"),
                  JoinText(z.steps, "/"), z.reference_only ? "reference" : "searched"});
  }
  table.Print(out);
}

nlohmann::json SummaryToJson(const SweepSummary& s) {
  nlohmann::json sizes = nlohmann::json::array();
  for (const SizeSummary& z : s.sizes) {
    nlohmann::json steps = nlohmann::json::array();
    for (size_t i = 0; i < z.steps.size(); ++i) {
      steps.push_back({{"batch_sequences", z.batch_sequences[i]}, {"steps", z.steps[i]}});
    }
    sizes.push_back({{"name", z.name},
                     {"width", z.shape.width},
                     {"depth", z.shape.depth},
                     {"heads", z.shape.heads},
                     {"context_tokens", z.shape.context_tokens},
                     {"vocab_size", z.shape.vocab_size},
                     {"params_non_embedding", z.params.non_embedding},
                     {"params_total", z.params.total},
                     {"budget_tokens", z.budget_tokens},
                     {"steps", steps},
                     {"reference_only", z.reference_only}});
  }
  nlohmann::json j = {{"name", s.name},
                      {"sizes", sizes},
                      {"points_per_size", s.points_per_size},
                      {"searched_sizes", s.searched_sizes},
                      {"seeds", s.seeds},
                      {"trials", s.trials},
                      {"reference_runs_planned", s.reference_runs},
                      {"planned_trials", s.planned_trials},
                      {"planned_references", s.planned_references},
                      {"planned_tokens", s.planned_tokens},
                      {"full_tokens", s.full_tokens},
                      {"search", s.search},
                      {"schedule", s.schedule},
                      {"policy", s.policy},
                      {"data", s.data}};
  if (s.data_tokens.has_value()) j["data_tokens"] = *s.data_tokens;
  return j;
}

}  // namespace augur::cli
