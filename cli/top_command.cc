// `augur top SWEEP [--watch]`: the live ranking.
#include <memory>

#include "cli/client.h"
#include "cli/remote_commands.h"
#include "cli/script_json.h"
#include "cli/sweep_view.h"
#include "cli/watch.h"
#include "common/text.h"

namespace augur::cli {
namespace {

class TopCommand : public Command {
 public:
  std::string name() const override { return "top"; }
  std::string args_usage() const override { return "SWEEP"; }
  std::string summary() const override { return "Live ranking of a sweep's trials"; }
  std::string description() const override {
    return "Shows the ranking: per trial a progress bar, the current loss, the predicted final\n"
           "loss with its interval, the deviation from the collapse (in seed-noise sigmas when\n"
           "known), its state and why a stopped trial was stopped.\n"
           "With --watch it follows the sweep until it ends (Ctrl-C to leave): redrawn in place\n"
           "in a terminal, plain lines (state changes, stops, progress) when piped, one JSON\n"
           "object per update with --output json.\n"
           "Shows the best --limit trials (the scheduler sends no more than that per update).\n";
  }
  std::string examples() const override {
    return "augur top s-20261122-080140-1a2b\n"
           "augur top s-20261122-080140-1a2b --watch --interval-ms 5000\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddBool("watch", "Follow the sweep until it ends", &watch_);
    flags.AddInt("interval-ms", "MS", "Minimum time between updates with --watch", &interval_ms_);
    flags.AddInt("limit", "N", "Trials shown, best first (at most 5000)", &limit_);
  }
  absl::Status Run(Invocation& inv) override {
    if (inv.args().size() != 1) return UsageError("expected one sweep id");
    if (interval_ms_ < 100) return UsageError("--interval-ms must be at least 100");
    if (limit_ < 1 || limit_ > 5000) return UsageError("--limit must be in 1..5000");
    absl::StatusOr<std::string> address = inv.SchedulerAddress();
    if (!address.ok()) return address.status();
    auto client = SchedulerClient::Connect(*address);
    if (!client.ok()) return client.status();
    const std::string& sweep_id = inv.args()[0];
    if (!watch_) {
      absl::StatusOr<v1::GetSweepResponse> response = FetchSweep(**client, sweep_id, limit_);
      if (!response.ok()) return response.status();
      if (inv.output() == OutputFormat::kJson) {
        response->mutable_sweep()->mutable_spec()->clear_source_yaml();
        response->clear_decisions();
        for (auto& row : *response->mutable_ranking()) row.mutable_trial()->clear_config();
        inv.out() << ScriptJson(*response).dump(2) << "\n";
        return absl::OkStatus();
      }
      std::vector<v1::Decision> stops;
      for (const v1::Decision& d : response->decisions()) {
        if (d.action() == v1::DECISION_ACTION_STOP) stops.push_back(d);
      }
      inv.out() << RenderView(response->sweep(),
                              {response->ranking().begin(), response->ranking().end()}, stops);
      return absl::OkStatus();
    }
    WatchOptions options;
    options.json = inv.output() == OutputFormat::kJson;
    options.in_place = !options.json && IsTty(inv.out());
    options.min_interval_ms = static_cast<int>(interval_ms_);
    options.max_rows = static_cast<int>(limit_);
    auto context = SchedulerClient::Context(absl::InfiniteDuration());
    absl::StatusOr<v1::WatchRankingResponse> last =
        WatchSweep(**client, sweep_id, context.get(), options, inv.out());
    if (!last.ok()) return last.status();
    if (!options.json) {
      inv.out() << "sweep " << sweep_id << " is " << SweepStateName(last->sweep().state()) << "\n";
    }
    return absl::OkStatus();
  }

 private:
  bool watch_ = false;
  int64_t interval_ms_ = 1000;
  int64_t limit_ = 100;
};

}  // namespace

std::unique_ptr<Command> MakeTopCommand() { return std::make_unique<TopCommand>(); }

}  // namespace augur::cli
