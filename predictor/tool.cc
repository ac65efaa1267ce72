#include "predictor/tool.h"

#include <map>
#include <memory>
#include <set>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "predictor/curve_csv.h"
#include "predictor/model.h"
#include "predictor/policy.h"
#include "predictor/reference_source.h"
#include "predictor/replay.h"
#include "predictor/tool_help.h"

namespace augur::predictor {
namespace {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
};

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

absl::StatusOr<std::shared_ptr<const ReferenceSource>> References(const Args& a) {
  if (a.values.count("model") && a.values.count("references")) {
    return absl::InvalidArgumentError("give --model or --references, not both");
  }
  if (auto it = a.values.find("model"); it != a.values.end()) {
    auto model = LoadModel(it->second);
    if (!model.ok()) return model.status();
    return std::shared_ptr<const ReferenceSource>(
        std::make_shared<ModelReferenceSource>(*std::move(model)));
  }
  if (auto it = a.values.find("references"); it != a.values.end()) {
    auto curves = ReadCurvesCsv(it->second);
    if (!curves.ok()) return curves.status();
    return std::shared_ptr<const ReferenceSource>(
        std::make_shared<EmpiricalReferenceSource>(*std::move(curves)));
  }
  return std::shared_ptr<const ReferenceSource>();
}

absl::Status RequireOneInput(const Args& a, const char* command) {
  if (a.positional.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, " takes one CSV file, got ", a.positional.size()));
  }
  return absl::OkStatus();
}

absl::Status Fit(const Args& a, std::ostream& out) {
  if (absl::Status s = RequireOneInput(a, "fit"); !s.ok()) return s;
  if (!a.values.count("out")) return absl::InvalidArgumentError("fit needs -o MODEL.json");
  FitOptions o;
  auto x_min = Number(a, "x-min", o.x_min);
  auto smooth = Number(a, "smooth", o.smooth_window_fraction);
  auto folds = Number(a, "cv-folds", o.cv_folds);
  auto min_per = Number(a, "min-per-schedule", 3);
  for (const auto* s : {&x_min, &smooth, &folds, &min_per}) {
    if (!s->ok()) return s->status();
  }
  if (!(*x_min >= 0 && *x_min < 1)) return absl::InvalidArgumentError("--x-min must be in [0, 1)");
  o.x_min = *x_min;
  o.smooth_window_fraction = *smooth;
  o.cv_folds = static_cast<int>(*folds);
  auto curves = ReadCurvesCsv(a.positional[0]);
  if (!curves.ok()) return curves.status();
  auto model = FitModel(*curves, o, static_cast<int>(*min_per));
  if (!model.ok()) return model.status();
  if (absl::Status s = SaveModel(*model, a.values.at("out")); !s.ok()) return s;
  out << absl::StrFormat("%-28s %6s %9s %8s %9s %8s %8s %8s %8s\n", "schedule", "curves", "b_c",
                         "b_e", "q_c", "q_e", "mae", "err@0.1", "err@0.3");
  for (const Calibration& c : model->calibrations) {
    out << absl::StrFormat("%-28s %6d %9.4g %8.4f %9.4g %8.4f %7.3f%% %7.2f%% %7.2f%%\n",
                           c.schedule_key, c.curves, c.constants.b_c, c.constants.b_e,
                           c.constants.q_c, c.constants.q_e, 100 * c.mae, 100 * c.error.At(0.1),
                           100 * c.error.At(0.3));
  }
  out << "wrote " << a.values.at("out") << "\n";
  return absl::OkStatus();
}

absl::Status Predict(const Args& a, std::ostream& out) {
  if (absl::Status s = RequireOneInput(a, "predict"); !s.ok()) return s;
  auto refs = References(a);
  if (!refs.ok()) return refs.status();
  if (*refs == nullptr) return absl::InvalidArgumentError("predict needs --model or --references");
  auto at = Number(a, "at", 1.0);
  auto level = Number(a, "level", 0.9);
  if (!at.ok()) return at.status();
  if (!level.ok()) return level.status();
  const bool json = a.values.count("output") && a.values.at("output") == "json";
  if (a.values.count("output") && !json && a.values.at("output") != "text") {
    return absl::InvalidArgumentError("--output must be text or json");
  }
  auto curves = ReadCurvesCsv(a.positional[0]);
  if (!curves.ok()) return curves.status();
  AlignOptions align;
  align.level = *level;
  nlohmann::json rows = nlohmann::json::array();
  if (!json) {
    out << absl::StrFormat("%-32s %8s %10s %10s %10s %13s  %s\n", "run_id", "progress", "predicted",
                           "lower", "upper", "window", "note");
  }
  for (const Curve& c : *curves) {
    const std::vector<CurvePoint> prefix = PrefixTo(c.points, *at);
    nlohmann::json row = {{"run_id", c.id}, {"progress", Progress(prefix)}};
    std::string note;
    if (FirstNonFinite(prefix) >= 0) {
      note = "diverged: non-finite loss";
    } else if (auto ref = (*refs)->ReferenceFor(c.controls); !ref.ok()) {
      note = std::string(ref.status().message());
    } else if (auto p = AlignAndPredict(prefix, **ref, c.controls.schedule.warmup_fraction, align);
               !p.ok()) {
      note = std::string(p.status().message());
    } else {
      row["predicted_final_loss"] = p->final_loss;
      row["lower"] = p->lower;
      row["upper"] = p->upper;
      row["window"] = {p->window_start, p->window_end};
      row["reference"] = (*ref)->Describe();
      if (!json) {
        out << absl::StrFormat("%-32s %8.3f %10.4f %10.4f %10.4f  [%.3f,%.3f]  %s\n", c.id,
                               Progress(prefix), p->final_loss, p->lower, p->upper, p->window_start,
                               p->window_end, (*ref)->Describe());
      }
    }
    if (!note.empty()) {
      row["error"] = note;
      if (!json) {
        out << absl::StrFormat("%-32s %8.3f %10s %10s %10s %13s  %s\n", c.id, Progress(prefix), "-",
                               "-", "-", "-", note);
      }
    }
    rows.push_back(row);
  }
  if (json) out << rows.dump(2) << "\n";
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> Milestones(const Args& a) {
  std::vector<double> ms;
  auto it = a.values.find("milestones");
  const std::string text = it == a.values.end() ? "0.1,0.2,0.3" : it->second;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    double v;
    if (!absl::SimpleAtod(part, &v) || !(v > 0 && v <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--milestones: '", part, "' is not a fraction in (0, 1]"));
    }
    ms.push_back(v);
  }
  return ms;
}

nlohmann::json ResultJson(const ReplayResult& r) {
  nlohmann::json j = {{"policy", r.policy},
                      {"group", r.group},
                      {"compute_fraction", r.compute_fraction},
                      {"chosen", r.chosen_id},
                      {"chosen_final_loss", r.chosen_final_loss},
                      {"best", r.best_id},
                      {"best_final_loss", r.best_final_loss},
                      {"regret", r.regret},
                      {"skipped", r.skipped}};
  nlohmann::json errors = nlohmann::json::array();
  for (const MilestoneError& e : r.errors) {
    errors.push_back({{"milestone", e.milestone},
                      {"median_abs_rel_error", e.median_abs_rel_error},
                      {"predictions", e.predictions}});
  }
  j["prediction_errors"] = errors;
  nlohmann::json trials = nlohmann::json::array();
  for (const TrialOutcome& t : r.trials) {
    trials.push_back({{"id", t.id},
                      {"stop_fraction", t.stop_fraction},
                      {"stopped", t.stopped},
                      {"diverged", t.diverged},
                      {"true_final_loss",
                       t.diverged ? nlohmann::json(nullptr) : nlohmann::json(t.true_final_loss)},
                      {"reason", t.reason}});
  }
  j["trials"] = trials;
  return j;
}

absl::Status ReplayCommand(const Args& a, std::ostream& out) {
  if (absl::Status s = RequireOneInput(a, "replay"); !s.ok()) return s;
  const bool all = a.switches.count("all-policies") > 0;
  if (all == (a.values.count("policy") > 0)) {
    return absl::InvalidArgumentError("replay needs exactly one of --policy P or --all-policies");
  }
  const bool json = a.values.count("output") && a.values.at("output") == "json";
  if (a.values.count("output") && !json && a.values.at("output") != "text") {
    return absl::InvalidArgumentError("--output must be text or json");
  }
  auto ms = Milestones(a);
  if (!ms.ok()) return ms.status();
  auto refs = References(a);
  if (!refs.ok()) return refs.status();
  PolicyConfig base;
  base.milestones = *ms;
  base.references = *refs;
  base.use_interval = a.switches.count("no-interval") == 0;
  struct NumFlag {
    const char* name;
    double* dst;
  };
  double median_min = base.median_min_samples, topk_k = base.topk_k;
  for (NumFlag f : {NumFlag{"keep", &base.keep_fraction},
                    {"asha-rf", &base.asha_reduction_factor},
                    {"asha-grace", &base.asha_grace_fraction},
                    {"median-min-samples", &median_min},
                    {"topk-k", &topk_k},
                    {"topk-fraction", &base.topk_fraction}}) {
    auto v = Number(a, f.name, *f.dst);
    if (!v.ok()) return v.status();
    *f.dst = *v;
  }
  base.median_min_samples = static_cast<int>(median_min);
  base.topk_k = static_cast<int>(topk_k);
  std::vector<std::string> names =
      all ? PolicyNames() : std::vector<std::string>{a.values.at("policy")};
  // Validate every policy before printing anything.
  for (const std::string& name : names) {
    PolicyConfig cfg = base;
    cfg.name = name;
    if (name == "collapse" && cfg.references == nullptr && all) continue;
    if (auto p = MakePolicy(cfg); !p.ok()) return p.status();
  }
  auto curves = ReadCurvesCsv(a.positional[0]);
  if (!curves.ok()) return curves.status();
  std::map<std::string, std::vector<Curve>> groups;
  for (const Curve& c : *curves) groups[c.group].push_back(c);

  nlohmann::json results = nlohmann::json::array();
  for (const auto& [group, sweep] : groups) {
    if (!json) {
      out << absl::StrFormat("group %s: %d runs, milestones %s\n",
                             group.empty() ? "(default)" : group, sweep.size(),
                             absl::StrJoin(*ms, ","));
      out << absl::StrFormat("%-14s %8s  %-28s %10s  %-28s %10s %9s  %s\n", "policy", "compute",
                             "chosen", "final", "best", "final", "regret",
                             "median |err| by milestone");
    }
    for (const std::string& name : names) {
      PolicyConfig cfg = base;
      cfg.name = name;
      if (name == "collapse" && cfg.references == nullptr && all) {
        if (!json) out << absl::StrFormat("%-14s skipped: needs --model or --references\n", name);
        continue;
      }
      auto policy = MakePolicy(cfg);
      if (!policy.ok()) return policy.status();
      ReplayOptions ro;
      ro.milestones = *ms;
      auto r = Replay(sweep, **policy, ro);
      if (!r.ok()) return r.status();
      if (json) {
        results.push_back(ResultJson(*r));
        continue;
      }
      std::vector<std::string> errs;
      for (const MilestoneError& e : r->errors) {
        if (e.predictions > 0) {
          errs.push_back(absl::StrFormat("%.2g:%.2f%%", e.milestone, 100 * e.median_abs_rel_error));
        }
      }
      out << absl::StrFormat("%-14s %7.1f%%  %-28s %10.4f  %-28s %10.4f %9.4f  %s\n", name,
                             100 * r->compute_fraction, r->chosen_id, r->chosen_final_loss,
                             r->best_id, r->best_final_loss, r->regret,
                             errs.empty() ? "-" : absl::StrJoin(errs, " "));
      if (!r->skipped.empty() && name == names.front()) {
        out << "  skipped (incomplete, truth unknown): " << absl::StrJoin(r->skipped, ", ") << "\n";
      }
    }
  }
  if (json) out << results.dump(2) << "\n";
  return absl::OkStatus();
}

}  // namespace

int RunPredictTool(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (args.empty()) {
      err << "augur-predict: missing command (fit, predict or replay; see --help)\n";
      return 2;
    }
    out << kMainHelp;
    return 0;
  }
  const std::string command = args[0];
  const char* help = nullptr;
  std::set<std::string> values, switches = {"help"};
  if (command == "fit") {
    help = kFitHelp;
    values = {"out", "x-min", "smooth", "cv-folds", "min-per-schedule"};
  } else if (command == "predict") {
    help = kPredictHelp;
    values = {"model", "references", "at", "level", "output"};
  } else if (command == "replay") {
    help = kReplayHelp;
    values = {"policy",       "milestones", "model",  "references",         "keep",
              "asha-rf",      "asha-grace", "output", "median-min-samples", "topk-k",
              "topk-fraction"};
    switches.insert({"all-policies", "no-interval"});
  } else {
    err << "augur-predict: unknown command '" << command << "' (fit, predict or replay)\n";
    return 2;
  }
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      out << help;
      return 0;
    }
  }
  auto parsed = ParseArgs(args, 1, values, switches);
  if (!parsed.ok()) {
    err << "augur-predict: " << command << ": " << parsed.status().message()
        << " (see augur-predict " << command << " --help)\n";
    return 2;
  }
  absl::Status s;
  if (command == "fit") {
    s = Fit(*parsed, out);
  } else if (command == "predict") {
    s = Predict(*parsed, out);
  } else {
    s = ReplayCommand(*parsed, out);
  }
  if (!s.ok()) {
    err << "augur-predict: " << command << ": " << s.message() << "\n";
    return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace augur::predictor
