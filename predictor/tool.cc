#include "predictor/tool.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "predictor/alignment.h"
#include "predictor/model.h"
#include "predictor/replay_command.h"
#include "predictor/tool_args.h"
#include "predictor/tool_help.h"

namespace augur::predictor {
namespace {

// What the held-out errors behind the intervals can measure, by the number of model sizes the
// pooled calibration's curves span (calibration.cc: folds hold out whole sizes when there are
// several).
void SayWhatTheErrorsMeasure(const Calibration& pooled, std::ostream& err) {
  if (pooled.sizes == 1) {
    err << "augur-predict: note: the references are of one model size: their held-out errors "
           "cannot measure the transfer to another size, which the form assumes (METHOD.md "
           "section 2); intervals at other sizes hold only as well as the collapse does "
           "(docs/method.md)\n";
  } else if (pooled.sizes == 2) {
    err << "augur-predict: note: the references span two model sizes: each held-out fold "
           "predicts one size from the other alone, so the errors carry the size transfer both "
           "ways and the 90% intervals are conservative (docs/method.md); a third size lets "
           "each fold fit on two\n";
  }
}

absl::Status Fit(const Args& a, std::ostream& out, std::ostream& err) {
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
  auto curves = ReadCurves(a.positional[0], {}, err);
  if (!curves.ok()) return curves.status();
  auto model = FitModel(*curves, o, static_cast<int>(*min_per));
  if (!model.ok()) return model.status();
  if (absl::Status s = SaveModel(*model, a.values.at("out")); !s.ok()) return s;
  out << absl::StrFormat("%-28s %6s %9s %8s %9s %8s %8s %8s %8s %8s\n", "schedule", "curves", "b_c",
                         "b_e", "q_c", "q_e", "mae", "err@0.1", "err@0.3", "q90@0.1");
  for (const Calibration& c : model->calibrations) {
    const double q90 = c.error.Q90At(0.1);
    out << absl::StrFormat("%-28s %6d %9.4g %8.4f %9.4g %8.4f %7.3f%% %7.2f%% %7.2f%% %8s\n",
                           c.schedule_key, c.curves, c.constants.b_c, c.constants.b_e,
                           c.constants.q_c, c.constants.q_e, 100 * c.mae, 100 * c.error.At(0.1),
                           100 * c.error.At(0.3),
                           std::isfinite(q90) ? absl::StrFormat("%.2f%%", 100 * q90) : "-");
  }
  out << "wrote " << a.values.at("out") << "\n";
  SayWhatTheErrorsMeasure(model->calibrations.back(), err);  // FitModel: the pooled one last.
  for (const Calibration& c : model->calibrations) {
    if (!c.error.rel_q90.empty() || c.error.held_out.empty()) continue;
    const auto [fewest, most] =
        std::minmax_element(c.error.held_out.begin(), c.error.held_out.end());
    err << absl::StrFormat(
        "augur-predict: note: calibration '%s' rests on %s held-out curves, too few for a 90%% "
        "quantile (%d needed): its intervals and decisions use the error's root mean square "
        "widened %sx for that number (Student's t, docs/method.md)\n",
        c.schedule_key, *fewest == *most ? absl::StrCat(*most) : absl::StrCat(*fewest, "-", *most),
        ErrorModel::kMinQuantileCurves,
        *fewest == *most
            ? absl::StrFormat("%.2f", SmallSampleFactor(*most))
            : absl::StrFormat("%.2f-%.2f", SmallSampleFactor(*most), SmallSampleFactor(*fewest)));
  }
  return absl::OkStatus();
}

absl::Status Predict(const Args& a, std::ostream& out, std::ostream& err) {
  if (absl::Status s = RequireOneInput(a, "predict"); !s.ok()) return s;
  auto refs = References(a, err);
  if (!refs.ok()) return refs.status();
  if (refs->source == nullptr)
    return absl::InvalidArgumentError("predict needs --model or --references");
  auto at = Number(a, "at", 1.0);
  auto level = Number(a, "level", 0.9);
  if (!at.ok()) return at.status();
  if (!level.ok()) return level.status();
  auto json_output = JsonOutput(a);
  if (!json_output.ok()) return json_output.status();
  const bool json = *json_output;
  auto curves = ReadCurves(a.positional[0], {}, err);
  if (!curves.ok()) return curves.status();
  const std::vector<std::string> pooled = refs->PooledKeys(*curves, err);
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
    } else if (auto ref = refs->source->ReferenceFor(c.controls); !ref.ok()) {
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
      row["pooled_calibration"] =
          std::find(pooled.begin(), pooled.end(), c.controls.ScheduleKey()) != pooled.end();
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
    values = {"policy",     "milestones",    "model",
              "references", "keep",          "asha-rf",
              "asha-grace", "output",        "median-min-samples",
              "topk-k",     "topk-fraction", "score-on",
              "tolerance",  "risk",          "keep-top"};
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
    s = Fit(*parsed, out, err);
  } else if (command == "predict") {
    s = Predict(*parsed, out, err);
  } else {
    s = ReplayCommand(*parsed, out, err);
  }
  if (!s.ok()) {
    err << "augur-predict: " << command << ": " << s.message() << "\n";
    return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace augur::predictor
