#include "cli/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/curve_export.h"
#include "cli/recommendation.h"
#include "cli/sweep_view.h"
#include "common/text.h"

namespace augur::cli {

const v1::TrialCurve* CurveOf(const std::vector<v1::TrialCurve>& curves, const std::string& id) {
  for (const v1::TrialCurve& c : curves) {
    if (c.trial().trial_id() == id) return &c;
  }
  return nullptr;
}

namespace {

namespace fs = std::filesystem;

std::vector<v1::RankingRow> Rows(const v1::GetSweepResponse& sweep) {
  return {sweep.ranking().begin(), sweep.ranking().end()};
}

std::string Percent(double part, double whole) {
  if (whole <= 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * part / whole);
  return buf;
}

absl::Status WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  out.close();
  if (!out) return absl::PermissionDeniedError(Cat("cannot write ", path.string()));
  return absl::OkStatus();
}

bool HasValidation(const v1::TrialCurve* curve) {
  if (curve == nullptr) return false;
  for (const v1::LossPoint& p : curve->points()) {
    if (p.has_val_loss() && p.val_loss() > 0) return true;
  }
  return false;
}

}  // namespace

double FinalLoss(const v1::Trial& trial, const v1::TrialCurve* curve) {
  if (curve != nullptr) {
    for (int i = curve->points_size() - 1; i >= 0; --i) {
      if (curve->points(i).has_val_loss() && curve->points(i).val_loss() > 0) {
        // Only a validation loss measured near the end stands for the final loss.
        if (curve->points(i).fraction() >= trial.last_point().fraction() - 0.05) {
          return curve->points(i).val_loss();
        }
        break;
      }
    }
  }
  if (trial.last_point().has_val_loss() && trial.last_point().val_loss() > 0) {
    return trial.last_point().val_loss();
  }
  return trial.last_point().train_loss();
}

const v1::Trial* Winner(const v1::GetSweepResponse& sweep,
                        const std::vector<v1::TrialCurve>& curves) {
  const v1::Trial* best = nullptr;
  double best_loss = INFINITY;
  for (const v1::RankingRow& row : sweep.ranking()) {
    const v1::Trial& t = row.trial();
    if (t.is_reference() || t.state() != v1::TRIAL_STATE_COMPLETED) continue;
    const double loss = FinalLoss(t, CurveOf(curves, t.trial_id()));
    if (loss > 0 && loss < best_loss) {
      best_loss = loss;
      best = &t;
    }
  }
  return best;
}

std::pair<int64_t, int64_t> TokensSpentAndFull(const v1::GetSweepResponse& sweep,
                                               const std::vector<v1::TrialCurve>& curves) {
  int64_t spent = sweep.sweep().tokens_spent(), full = sweep.sweep().tokens_full();
  if (spent <= 0) {
    spent = 0;
    for (const v1::TrialCurve& c : curves) {
      if (c.points_size() > 0) spent += c.points(c.points_size() - 1).tokens();
    }
  }
  if (full <= 0) {
    full = 0;
    for (const v1::RankingRow& row : sweep.ranking()) {
      const v1::CurveControls& c = row.trial().controls();
      if (!row.trial().is_reference()) full += c.total_steps() * c.batch_tokens();
    }
  }
  return {spent, full};
}

Plot LossPlot(const v1::GetSweepResponse& sweep, const std::vector<v1::TrialCurve>& curves) {
  Plot plot;
  plot.title =
      Cat("Training loss: ", sweep.sweep().spec().name(), " (", sweep.sweep().sweep_id(), ")");
  plot.x_label = "tokens";
  plot.y_label = "training loss (nats/token)";
  const Varying varying = FindVarying(Rows(sweep));
  double late_max = -INFINITY;
  for (const v1::TrialCurve& c : curves) {
    Series s;
    s.label = Cat(ShortTrialId(c.trial().trial_id()), " ", HyperparameterText(c.trial(), varying));
    s.ended_early = c.trial().state() != v1::TRIAL_STATE_COMPLETED;
    for (const v1::LossPoint& p : c.points()) {
      s.x.push_back(static_cast<double>(p.tokens()));
      s.y.push_back(p.train_loss());
      if (p.fraction() >= PlotRangeFromFraction(c.trial()) && std::isfinite(p.train_loss()))
        late_max = std::max(late_max, p.train_loss());
    }
    plot.series.push_back(std::move(s));
  }
  if (std::isfinite(late_max)) plot.y_max = late_max;
  return plot;
}

Plot NormalizedPlot(const v1::GetSweepResponse& sweep, const std::vector<v1::TrialCurve>& curves) {
  Plot plot;
  plot.title = Cat("Normalized loss L(t)/L(T): ", sweep.sweep().spec().name());
  plot.x_label = "training fraction t/T";
  plot.y_label = "L(t) / L(T)";
  const Varying varying = FindVarying(Rows(sweep));
  double late_max = -INFINITY;
  for (const v1::TrialCurve& c : curves) {
    const v1::Trial& t = c.trial();
    double final_loss = 0;
    if (t.state() == v1::TRIAL_STATE_COMPLETED && c.points_size() > 0) {
      final_loss = c.points(c.points_size() - 1).train_loss();
    } else if (t.has_prediction() && t.prediction().final_loss() > 0) {
      final_loss = t.prediction().final_loss();
    }
    if (!(final_loss > 0)) continue;
    Series s;
    s.label = Cat(ShortTrialId(t.trial_id()), " ", HyperparameterText(t, varying));
    s.ended_early = t.state() != v1::TRIAL_STATE_COMPLETED;
    for (const v1::LossPoint& p : c.points()) {
      s.x.push_back(p.fraction());
      s.y.push_back(p.train_loss() / final_loss);
      if (p.fraction() >= PlotRangeFromFraction(t) && std::isfinite(s.y.back()))
        late_max = std::max(late_max, s.y.back());
    }
    plot.series.push_back(std::move(s));
  }
  if (std::isfinite(late_max)) plot.y_max = late_max;
  return plot;
}

std::string SummaryText(const v1::GetSweepResponse& sweep,
                        const std::vector<v1::TrialCurve>& curves) {
  std::ostringstream out;
  const v1::Sweep& s = sweep.sweep();
  out << "sweep " << s.sweep_id() << " (" << s.spec().name() << ") " << SweepStateName(s.state())
      << ": " << TrialCountsText(s) << "\n";
  const std::vector<Recommendation> recommended = Recommend(sweep, curves);
  for (const Recommendation& r : recommended) {
    const v1::TrialCurve* curve = CurveOf(curves, r.trial->trial_id());
    out << (recommended.size() > 1 ? Cat("winner at ", r.size, ": ") : std::string("winner: "))
        << ShortTrialId(r.trial->trial_id()) << " (" << HyperparameterText(*r.trial)
        << "), final loss " << LossText(r.final_loss)
        << (r.trial->last_point().has_val_loss() || HasValidation(curve) ? " (validation)\n"
                                                                         : " (training)\n");
    for (const std::string& note : r.edge_notes) out << "  note: " << note << "\n";
  }
  if (recommended.empty()) out << "winner: none yet (no trial has completed)\n";
  std::vector<v1::Decision> stops;
  for (const v1::Decision& d : sweep.decisions()) {
    if (d.action() == v1::DECISION_ACTION_STOP) stops.push_back(d);
  }
  std::map<std::string, const v1::Trial*> trials;
  for (const v1::RankingRow& row : sweep.ranking()) trials[row.trial().trial_id()] = &row.trial();
  out << "stopped early: " << stops.size() << (stops.empty() ? "\n" : "\n");
  const Varying varying = FindVarying(Rows(sweep));
  for (const v1::Decision& d : stops) {
    auto it = trials.find(d.trial_id());
    out << "  " << ShortTrialId(d.trial_id());
    if (it != trials.end()) out << " (" << HyperparameterText(*it->second, varying) << ")";
    out << " at " << std::lround(d.milestone_fraction() * 100) << "% of training: " << d.reason()
        << "\n";
  }
  for (const v1::RankingRow& row : sweep.ranking()) {
    const v1::Trial& t = row.trial();
    if (IsTerminal(t.state()) && t.state() != v1::TRIAL_STATE_COMPLETED &&
        t.state() != v1::TRIAL_STATE_STOPPED) {
      out << "  " << ShortTrialId(t.trial_id()) << " " << TrialStateName(t.state()) << ": "
          << t.message() << "\n";
    }
  }
  const auto [spent, full] = TokensSpentAndFull(sweep, curves);
  out << "compute: " << HumanCount(spent) << " tokens spent against " << HumanCount(full)
      << " to run every trial to the end ("
      << Percent(static_cast<double>(spent), static_cast<double>(full)) << ")\n";
  return out.str();
}

absl::StatusOr<fs::path> WriteReport(const fs::path& dir, const std::string& spec_path,
                                     const v1::GetSweepResponse& sweep,
                                     const std::vector<v1::TrialCurve>& curves,
                                     absl::Duration wall_time) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::PermissionDeniedError(Cat("cannot create ", dir.string(), ": ", ec.message()));
  const Plot loss = LossPlot(sweep, curves);
  const Plot normalized = NormalizedPlot(sweep, curves);
  absl::StatusOr<std::string> loss_png = PlotPng(loss), normalized_png = PlotPng(normalized);
  if (!loss_png.ok()) return loss_png.status();
  if (!normalized_png.ok()) return normalized_png.status();
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"loss.svg", PlotSvg(loss)},
           {"loss.png", *loss_png},
           {"normalized.svg", PlotSvg(normalized)},
           {"normalized.png", *normalized_png},
           {"curves.csv", CurvesCsv(curves, sweep.sweep().sweep_id())}}) {
    if (absl::Status st = WriteFile(dir / name, bytes); !st.ok()) return st;
  }
  std::ostringstream md;
  const v1::Sweep& s = sweep.sweep();
  md << "# Sweep " << s.spec().name() << " (" << s.sweep_id() << ")\n\n"
     << "Spec: `" << spec_path << "`. State: " << SweepStateName(s.state()) << ".";
  if (wall_time > absl::ZeroDuration()) {
    md << " Wall time of `augur run`: "
       << absl::FormatDuration(absl::Trunc(wall_time, absl::Seconds(1))) << ".";
  }
  md << "\n\n## Summary\n\n```\n"
     << SummaryText(sweep, curves) << "```\n\n## Ranking\n\n"
     << "| # | trial | hyperparameters | state | progress | loss | predicted final | interval | "
        "why stopped |\n|---|---|---|---|---|---|---|---|---|\n";
  const Varying varying = FindVarying(Rows(sweep));
  for (const v1::RankingRow& row : sweep.ranking()) {
    const v1::Trial& t = row.trial();
    const bool pred = t.has_prediction() && t.prediction().final_loss() > 0;
    std::string why = StopReason(t);
    std::replace(why.begin(), why.end(), '|', '/');
    md << "| " << row.rank() << " | " << ShortTrialId(t.trial_id()) << " | "
       << HyperparameterText(t, varying) << " | " << TrialStateName(t.state()) << " | "
       << std::lround((t.state() == v1::TRIAL_STATE_COMPLETED ? 1.0 : t.last_point().fraction()) *
                      100)
       << "% | " << LossText(FinalLoss(t, CurveOf(curves, t.trial_id()))) << " | "
       << (pred ? LossText(t.prediction().final_loss()) : "-") << " | "
       << (pred && t.prediction().final_loss_interval().high() > 0
               ? Cat("[", LossText(t.prediction().final_loss_interval().low()), ", ",
                     LossText(t.prediction().final_loss_interval().high()), "]")
               : "")
       << " | " << why << " |\n";
  }
  md << "\n## Curves\n\n![training loss](loss.svg)\n\n"
     << "Dashed: trials that did not run to the end. `loss.png` is the same plot as a raster "
        "(no labels).\n\n![normalized loss](normalized.svg)\n\n"
     << "Normalized by each trial's final loss (predicted, for stopped trials): curves that "
        "collapse onto one shape are what the collapse policy relies on (docs/method.md).\n\n"
     << "The points are in `curves.csv` (the loss-curve format of docs/curves.md; "
        "`augur-predict` reads it).\n";
  const fs::path report = dir / "report.md";
  if (absl::Status st = WriteFile(report, md.str()); !st.ok()) return st;
  return report;
}

}  // namespace augur::cli
