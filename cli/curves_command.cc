// `augur curves SWEEP [TRIAL...]`: loss curves as a text plot, and as SVG/PNG files.
#include <fstream>
#include <memory>

#include "cli/client.h"
#include "cli/plot.h"
#include "cli/remote_commands.h"
#include "cli/report.h"
#include "common/text.h"
#include "nlohmann/json.hpp"

namespace augur::cli {
namespace {

class CurvesCommand : public Command {
 public:
  std::string name() const override { return "curves"; }
  std::string args_usage() const override { return "SWEEP [TRIAL...]"; }
  std::string summary() const override { return "Plot trials' loss curves"; }
  std::string description() const override {
    return "Plots the durable training loss of a sweep's trials (or of the given trials)\n"
           "against tokens as text in the terminal; trials that did not run to the end are\n"
           "drawn with lowercase marks (with a cross at their end in the files). --normalized\n"
           "plots L(t)/L(T)"
           " against the training fraction t/T, with L(T) the final loss (predicted for\n"
           "stopped trials): the collapse the stopping policy relies on. --svg and --png also\n"
           "write the plot to files (the same picture: the PNG is the SVG rasterized by librsvg).\n"
           "The y-range comes from the points after warmup.\n"
           "--output json prints the plotted series. TRIAL is a full or short id (t007); an\n"
           "unknown one is an error naming the sweep's trials.\n";
  }
  std::string examples() const override {
    return "augur curves s-20261122-080140-1a2b\n"
           "augur curves s-20261122-080140-1a2b t003 t007 --normalized --svg curves.svg\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddBool("normalized", "Plot L(t)/L(T) against t/T", &normalized_);
    flags.AddBool("log-x", "Logarithmic x axis", &log_x_);
    flags.AddString("svg", "FILE", "Also write the plot as SVG", &svg_);
    flags.AddString("png", "FILE", "Also write the plot as PNG", &png_);
    flags.AddInt("width", "COLUMNS", "Width of the text plot", &columns_);
    flags.AddInt("height", "ROWS", "Height of the text plot", &rows_);
  }
  absl::Status Run(Invocation& inv) override {
    if (inv.args().empty()) return UsageError("expected a sweep id");
    if (columns_ < 20 || rows_ < 5) return UsageError("--width must be >= 20 and --height >= 5");
    absl::StatusOr<std::string> address = inv.SchedulerAddress();
    if (!address.ok()) return address.status();
    auto client = SchedulerClient::Connect(*address);
    if (!client.ok()) return client.status();
    const std::string& sweep_id = inv.args()[0];
    absl::StatusOr<v1::GetSweepResponse> sweep = FetchSweep(**client, sweep_id);
    if (!sweep.ok()) return sweep.status();
    absl::StatusOr<std::vector<v1::TrialCurve>> curves = FetchCurves(
        **client, sweep_id, std::vector<std::string>(inv.args().begin() + 1, inv.args().end()));
    if (!curves.ok()) return curves.status();
    Plot plot = normalized_ ? NormalizedPlot(*sweep, *curves) : LossPlot(*sweep, *curves);
    plot.log_x = log_x_;
    absl::StatusOr<std::string> png = png_.empty() ? "" : PlotPng(plot);
    if (!png.ok()) return png.status();
    for (const auto& [path, bytes] :
         {std::pair{svg_, svg_.empty() ? "" : PlotSvg(plot)}, std::pair{png_, *png}}) {
      if (path.empty()) continue;
      std::ofstream file(path, std::ios::binary);
      file << bytes;
      file.close();
      if (!file) return absl::PermissionDeniedError(Cat("cannot write ", path));
      inv.err() << "wrote " << path << "\n";
    }
    if (inv.output() == OutputFormat::kJson) {
      nlohmann::json series = nlohmann::json::array();
      for (const Series& s : plot.series) {
        series.push_back(
            {{"label", s.label}, {"x", s.x}, {"y", s.y}, {"ended_early", s.ended_early}});
      }
      inv.out() << nlohmann::json{{"title", plot.title},
                                  {"x", plot.x_label},
                                  {"y", plot.y_label},
                                  {"series", series}}
                       .dump(2)
                << "\n";
      return absl::OkStatus();
    }
    if (plot.series.empty()) {
      inv.out() << "no curves to plot yet for " << sweep_id << "\n";
      return absl::OkStatus();
    }
    inv.out() << PlotText(plot, static_cast<int>(columns_), static_cast<int>(rows_));
    return absl::OkStatus();
  }

 private:
  bool normalized_ = false, log_x_ = false;
  std::string svg_, png_;
  int64_t columns_ = 72, rows_ = 20;
};

}  // namespace

std::unique_ptr<Command> MakeCurvesCommand() { return std::make_unique<CurvesCommand>(); }

}  // namespace augur::cli
