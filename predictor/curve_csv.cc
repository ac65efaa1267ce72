#include "predictor/curve_csv.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "predictor/lr_column.h"

namespace augur::predictor {
namespace {

// Integer columns (step, total_steps, seed) are read as doubles and must stay at or below 2^53:
// every such integer is exact in a double and fits an int64; converting a larger value is
// undefined (found by fuzzing, docs/fuzzing.md).
constexpr double kMaxExactInteger = 9007199254740992.0;

// Splits one line on commas; double quotes protect commas ("" is a literal quote).
std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(std::string(absl::StripAsciiWhitespace(cur)));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(std::string(absl::StripAsciiWhitespace(cur)));
  return out;
}

// Canonical column names and their accepted aliases.
const std::map<std::string, std::string>& Aliases() {
  static const auto* m = new std::map<std::string, std::string>{
      {"run_id", "run_id"},
      {"run", "run_id"},
      {"trial_id", "run_id"},
      {"step", "step"},
      {"loss", "loss"},
      {"tokens", "tokens"},
      {"fraction", "fraction"},
      {"lr", "lr"},
      {"lr_at_step", "lr"},
      {"total_steps", "total_steps"},
      {"schedule", "schedule"},
      {"warmup_fraction", "warmup_fraction"},
      {"warmup_steps", "warmup_steps"},
      {"decay_fraction", "decay_fraction"},
      {"decay_start_step", "decay_start_step"},
      {"final_lr_fraction", "final_lr_fraction"},
      {"final_lr", "final_lr"},
      {"peak_lr", "peak_lr"},
      {"weight_decay", "weight_decay"},
      {"batch_tokens", "batch_tokens"},
      {"params", "params"},
      {"model_params_nominal", "params"},
      {"tpp", "tpp"},
      {"tokens_per_param", "tpp"},
      {"tau", "tau"},
      {"seed", "seed"},
      {"group", "group"},
      {"complete", "complete"},
  };
  return *m;
}

// Per-run columns must hold the same value on every row of a run.
const char* const kRunColumns[] = {"total_steps",
                                   "schedule",
                                   "warmup_fraction",
                                   "warmup_steps",
                                   "decay_fraction",
                                   "decay_start_step",
                                   "final_lr_fraction",
                                   "final_lr",
                                   "peak_lr",
                                   "weight_decay",
                                   "batch_tokens",
                                   "params",
                                   "tpp",
                                   "tau",
                                   "seed",
                                   "group",
                                   "complete"};

// The last point is within max(1%, 1.5 x the median spacing) of the planned end.
bool ReachesEnd(const std::vector<CurvePoint>& points) {
  return Progress(points) >= 1.0 - std::max(0.01, 1.5 * MedianSpacing(points));
}

struct RawRun {
  Curve curve;
  std::map<std::string, std::string> controls;  // Column -> value as written.
  std::map<std::string, int> control_line;      // Where each control was first seen.
};

}  // namespace

absl::StatusOr<CurveFile> ParseCurveFile(const std::string& text, const std::string& filename,
                                         const CurveCsvOptions& options) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  auto error = [&](int at, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(filename, ":", at, ": ", why));
  };
  std::map<std::string, int> col;  // Canonical name -> index.
  std::vector<std::string> header;
  size_t columns = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::StripAsciiWhitespace(line).empty() || line[0] == '#') continue;
    const auto fields = SplitCsvLine(line);
    header = fields;
    columns = fields.size();
    for (size_t i = 0; i < fields.size(); ++i) {
      auto it = Aliases().find(absl::AsciiStrToLower(fields[i]));
      if (it == Aliases().end()) continue;  // Unknown columns are ignored.
      if (col.count(it->second)) {
        return error(line_no, absl::StrCat("column '", it->second, "' given twice"));
      }
      col[it->second] = static_cast<int>(i);
    }
    break;
  }
  if (columns == 0) return error(std::max(1, line_no), "empty file: no header row");
  for (const char* required : {"run_id", "step", "loss"}) {
    if (!col.count(required)) {
      return error(line_no, absl::StrCat("missing required column '", required, "'"));
    }
  }
  if (!col.count("total_steps") && !col.count("fraction")) {
    return error(line_no, "need a 'total_steps' or a 'fraction' column");
  }
  int loss_index = col["loss"];
  const bool other_loss = absl::AsciiStrToLower(options.loss_column) != "loss";
  if (other_loss) {
    auto it = std::find_if(header.begin(), header.end(), [&](const std::string& h) {
      return absl::AsciiStrToLower(h) == absl::AsciiStrToLower(options.loss_column);
    });
    if (it == header.end()) {
      return error(line_no, absl::StrCat("no column '", options.loss_column,
                                         "'; the columns are: ", absl::StrJoin(header, ", ")));
    }
    loss_index = static_cast<int>(it - header.begin());
  }
  std::vector<RawRun> runs;
  std::map<std::string, size_t> run_index;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::StripAsciiWhitespace(line).empty() || line[0] == '#') continue;
    const auto f = SplitCsvLine(line);
    if (f.size() != columns) {
      return error(line_no, absl::StrFormat("%d fields, header has %d", f.size(), columns));
    }
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      return it == col.end() ? std::string() : f[it->second];
    };
    const std::string id = get("run_id");
    if (id.empty()) return error(line_no, "empty run_id");
    const std::string loss = f[loss_index];
    if (other_loss && loss.empty()) continue;  // Not evaluated at this step.
    auto [it, inserted] = run_index.try_emplace(id, runs.size());
    if (inserted) {
      runs.emplace_back();
      runs.back().curve.id = id;
    }
    RawRun& run = runs[it->second];
    for (const char* name : kRunColumns) {
      if (!col.count(name)) continue;
      const std::string v = get(name);
      auto [c, first] = run.controls.try_emplace(name, v);
      if (first) {
        run.control_line[name] = line_no;
      } else if (c->second != v) {
        return error(line_no, absl::StrCat("run '", id, "': ", name, " '", v, "' differs from '",
                                           c->second, "' on line ", run.control_line[name]));
      }
    }
    CurvePoint p;
    double step = 0;
    if (!absl::SimpleAtod(get("step"), &step) || step < 0 || step != std::floor(step) ||
        step > kMaxExactInteger) {
      return error(line_no, absl::StrCat("step '", get("step"),
                                         "' is not a non-negative integer below 2^53"));
    }
    p.step = static_cast<int64_t>(step);
    if (!absl::SimpleAtod(loss, &p.loss)) {
      return error(line_no, absl::StrCat(header[loss_index], " '", loss, "' is not a number"));
    }
    for (auto [name, dst] : {std::pair<const char*, double*>{"tokens", &p.tokens},
                             {"lr", &p.lr},
                             {"fraction", &p.fraction}}) {
      const std::string v = get(name);
      if (!v.empty() && !absl::SimpleAtod(v, dst)) {
        return error(line_no, absl::StrCat(name, " '", v, "' is not a number"));
      }
    }
    if (col.count("fraction") && !(p.fraction >= 0 && p.fraction <= 1.0 + 1e-9)) {
      return error(line_no, absl::StrCat("fraction ", p.fraction, " is outside [0, 1]"));
    }
    run.curve.points.push_back(p);
  }
  if (runs.empty()) return error(line_no, "no data rows");

  CurveFile out;
  ScheduleNotes notes;
  for (RawRun& run : runs) {
    Curve& c = run.curve;
    CurveControls& k = c.controls;
    auto num = [&](const char* name, double* dst) -> absl::Status {
      auto it = run.controls.find(name);
      if (it == run.controls.end() || it->second.empty()) return absl::OkStatus();
      if (!absl::SimpleAtod(it->second, dst) || !std::isfinite(*dst) || *dst < 0) {
        return error(run.control_line[name],
                     absl::StrCat(name, " '", it->second, "' is not a non-negative number"));
      }
      return absl::OkStatus();
    };
    double total = 0, warmup_steps = -1, decay_start = -1, final_lr = -1, seed = 0, complete = -1;
    double warmup_fraction = -1, final_fraction = -1;
    for (auto [name, dst] : std::vector<std::pair<const char*, double*>>{
             {"total_steps", &total},
             {"warmup_steps", &warmup_steps},
             {"warmup_fraction", &warmup_fraction},
             {"decay_fraction", &k.schedule.decay_fraction},
             {"decay_start_step", &decay_start},
             {"final_lr_fraction", &final_fraction},
             {"final_lr", &final_lr},
             {"peak_lr", &k.peak_lr},
             {"weight_decay", &k.weight_decay},
             {"batch_tokens", &k.batch_tokens},
             {"params", &k.params},
             {"tpp", &k.tokens_per_param},
             {"tau", &k.tau},
             {"seed", &seed},
             {"complete", &complete}}) {
      if (absl::Status s = num(name, dst); !s.ok()) return s;
    }
    for (auto [name, value] :
         {std::pair<const char*, double>{"total_steps", total}, {"seed", seed}}) {
      if (value > kMaxExactInteger) {
        return error(run.control_line[name],
                     absl::StrCat(name, " '", run.controls[name], "' is not below 2^53"));
      }
    }
    k.total_steps = static_cast<int64_t>(total);
    k.seed = static_cast<int64_t>(seed);
    if (auto g = run.controls.find("group"); g != run.controls.end()) c.group = g->second;
    std::sort(c.points.begin(), c.points.end(),
              [](const CurvePoint& a, const CurvePoint& b) { return a.step < b.step; });
    for (size_t i = 1; i < c.points.size(); ++i) {
      if (c.points[i].step == c.points[i - 1].step) {
        return error(line_no,
                     absl::StrCat("run '", c.id, "': step ", c.points[i].step, " appears twice"));
      }
    }
    if (!col.count("fraction")) {
      if (k.total_steps <= 0) {
        return error(run.control_line["total_steps"],
                     absl::StrCat("run '", c.id, "': total_steps must be positive"));
      }
      for (CurvePoint& p : c.points) p.fraction = static_cast<double>(p.step) / k.total_steps;
    }
    if (c.points.back().fraction > 1.0 + 1e-9) {
      return error(line_no, absl::StrCat("run '", c.id, "': step ", c.points.back().step,
                                         " lies beyond total_steps ", k.total_steps));
    }
    if (k.batch_tokens > 0) {
      for (CurvePoint& p : c.points) {
        if (p.tokens == 0) p.tokens = k.batch_tokens * p.step;
      }
    }
    // Schedule.
    if (warmup_fraction >= 0) {
      k.schedule.warmup_fraction = warmup_fraction;
    } else if (warmup_steps >= 0 && k.total_steps > 0) {
      k.schedule.warmup_fraction = warmup_steps / k.total_steps;
    }
    if (decay_start >= 0 && k.total_steps > 0) {
      k.schedule.decay_fraction = 1.0 - decay_start / k.total_steps;
    }
    if (final_fraction >= 0) {
      k.schedule.final_lr_fraction = final_fraction;
    } else if (final_lr >= 0 && k.peak_lr > 0) {
      k.schedule.final_lr_fraction = final_lr / k.peak_lr;
    }
    const std::string schedule = run.controls.count("schedule") ? run.controls["schedule"] : "";
    std::vector<CurvePoint> logged_lr;
    for (const CurvePoint& p : c.points) {
      if (p.lr > 0) logged_lr.push_back(p);
    }
    auto resolved =
        ResolveSchedule(schedule, warmup_fraction >= 0 || (warmup_steps >= 0 && k.total_steps > 0),
                        c.points, !logged_lr.empty() && ReachesEnd(logged_lr), k);
    if (!resolved.ok()) {
      return error(run.control_line["schedule"],
                   absl::StrCat("run '", c.id, "': ", resolved.status().message()));
    }
    notes.Add(c.id, schedule, *resolved);
    DeriveControls(k);
    if (complete >= 0) {
      c.complete = complete > 0;
    } else {
      c.complete = ReachesEnd(c.points);
    }
    out.curves.push_back(std::move(c));
  }
  out.notes = notes.Lines(filename);
  return out;
}

absl::StatusOr<std::vector<Curve>> ParseCurvesCsv(const std::string& text,
                                                  const std::string& filename) {
  auto file = ParseCurveFile(text, filename);
  if (!file.ok()) return file.status();
  return std::move(file->curves);
}

absl::StatusOr<CurveFile> ReadCurveFile(const std::string& path, const CurveCsvOptions& options) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseCurveFile(ss.str(), path, options);
}

absl::StatusOr<std::vector<Curve>> ReadCurvesCsv(const std::string& path) {
  auto file = ReadCurveFile(path);
  if (!file.ok()) return file.status();
  return std::move(file->curves);
}

std::string CurvesToCsv(const std::vector<Curve>& curves) {
  std::string out =
      "run_id,group,step,tokens,loss,lr,total_steps,schedule,warmup_fraction,decay_fraction,"
      "final_lr_fraction,peak_lr,weight_decay,batch_tokens,params,tpp,tau,seed\n";
  for (const Curve& c : curves) {
    const CurveControls& k = c.controls;
    for (const CurvePoint& p : c.points) {
      absl::StrAppend(
          &out, absl::StrFormat("%s,%s,%d,%.17g,%.17g,%.17g,%d,%s,%.17g,%.17g,%.17g,"
                                "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d\n",
                                c.id, c.group, p.step, p.tokens, p.loss, p.lr, k.total_steps,
                                ScheduleShapeName(k.schedule.shape), k.schedule.warmup_fraction,
                                k.schedule.decay_fraction, k.schedule.final_lr_fraction, k.peak_lr,
                                k.weight_decay, k.batch_tokens, k.params, k.tokens_per_param, k.tau,
                                k.seed));
    }
  }
  return out;
}

}  // namespace augur::predictor
