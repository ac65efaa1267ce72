// `augur status SWEEP`: the sweep, the best trials of its ranking and its latest stops. Pages
// through GetSweep, so that a sweep of any size can be looked at: memory holds the rows shown,
// not the sweep.
#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/remote_commands.h"
#include "cli/script_json.h"
#include "cli/sweep_view.h"
#include "common/text.h"

namespace augur::cli {
namespace {

class StatusCommand : public Command {
 public:
  std::string name() const override { return "status"; }
  std::string args_usage() const override { return "SWEEP"; }
  std::string summary() const override { return "Show a sweep with its ranking and decisions"; }
  std::string description() const override {
    return "Shows one sweep: state, trials by state, tokens spent against the full budget,\n"
           "speed and ETA, tags and note, the best --limit trials of the ranking (with each\n"
           "running trial's tokens/s and ETA) and the latest --limit stopping decisions with\n"
           "their reasons. --limit 0 shows every trial and decision; the CLI pages through the\n"
           "scheduler either way.\n"
           "With --output json prints {\"sweep\", \"ranking\", \"decisions\", \"total_trials\",\n"
           "\"total_decisions\"} (docs/json.md); the sweep's spec includes source_yaml.\n";
  }
  std::string examples() const override {
    return "augur status s-20261122-080140-1a2b\n"
           "augur status s-20261122-080140-1a2b --limit 0 --output json > sweep.json\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddInt("limit", "N", "Trials and stop decisions shown (0 = all)", &limit_);
  }
  absl::Status Run(Invocation& inv) override {
    if (inv.args().size() != 1) {
      return UsageError(Cat("expected one sweep id, got ", inv.args().size(), " arguments"));
    }
    if (limit_ < 0) return UsageError("--limit must be >= 0");
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    const size_t limit = limit_ == 0 ? SIZE_MAX : static_cast<size_t>(limit_);
    const int page_size =
        limit_ == 0 ? kSweepPageSize : static_cast<int>(std::min<int64_t>(limit_, 5000));
    if (inv.output() == OutputFormat::kJson) {
      return StreamJson(**client, inv.args()[0], limit, page_size, inv.out());
    }
    v1::GetSweepResponse shown;      // The sweep and the first `limit` rows.
    std::deque<v1::Decision> stops;  // The latest `limit` stops (table).
    int64_t decisions_seen = 0, stop_count = 0;
    bool first = true;
    const auto take_decisions = [&](v1::GetSweepResponse& page) {
      for (v1::Decision& d : *page.mutable_decisions()) {
        ++decisions_seen;
        if (d.action() != v1::DECISION_ACTION_STOP) continue;
        ++stop_count;
        stops.push_back(std::move(d));
        if (stops.size() > limit) stops.pop_front();
      }
    };
    const std::string& sweep_id = inv.args()[0];
    // Pages until the rows asked for are in (every page with --limit 0).
    absl::Status status = ForEachSweepPage(
        **client, sweep_id,
        [&](v1::GetSweepResponse& page) {
          if (first) {
            *shown.mutable_sweep() = std::move(*page.mutable_sweep());
            shown.set_total_trials(page.total_trials());
            shown.set_total_decisions(page.total_decisions());
            shown.set_security_warning(page.security_warning());
            first = false;
          }
          for (v1::RankingRow& row : *page.mutable_ranking()) {
            if (static_cast<size_t>(shown.ranking_size()) >= limit) break;
            row.mutable_trial()->clear_config();
            *shown.add_ranking() = std::move(row);
          }
          take_decisions(page);
          return static_cast<size_t>(shown.ranking_size()) < limit;
        },
        page_size);
    if (!status.ok()) return status;
    // The table shows the latest stops: one more page, at the end of the decisions, when the
    // pages read so far did not reach it.
    const bool all_decisions = decisions_seen >= shown.total_decisions();
    if (!all_decisions) {
      stops.clear();
      stop_count = 0;
      absl::StatusOr<v1::GetSweepResponse> tail = FetchSweepPage(
          **client, sweep_id, page_size,
          Cat(std::max<int64_t>(0, shown.total_decisions() - static_cast<int64_t>(page_size))));
      if (!tail.ok()) return tail.status();
      take_decisions(*tail);
    }
    shown.mutable_sweep()->mutable_spec()->clear_source_yaml();
    if (!shown.security_warning().empty())
      inv.err() << "warning: " << shown.security_warning() << "\n";
    PrintSweepHeader(shown.sweep(), inv.out());
    inv.out() << "\n";
    RankingTable({shown.ranking().begin(), shown.ranking().end()}).Print(inv.out());
    if (shown.ranking_size() < shown.total_trials()) {
      inv.out() << "(the best " << shown.ranking_size() << " of " << shown.total_trials()
                << " trials; --limit 0 shows all)\n";
    }
    inv.out() << "\n" << shown.total_decisions() << " decisions, ";
    if (all_decisions) {
      inv.out() << stop_count << " stops" << (stop_count > 0 ? ":" : "") << "\n";
      if (static_cast<int64_t>(stops.size()) < stop_count) {
        inv.out() << "  (the latest " << stops.size() << ")\n";
      }
    } else {
      inv.out() << stop_count << " stops among the latest " << page_size
                << (stop_count > 0 ? ":" : "") << "\n";
    }
    PrintDecisions({stops.begin(), stops.end()}, inv.out());
    return absl::OkStatus();
  }

 private:
  // The JSON form, written as the pages come (memory: one page): the ranking's rows in a first
  // pass, the decisions in a second, each as one line.
  static absl::Status StreamJson(SchedulerClient& client, const std::string& sweep_id, size_t limit,
                                 int page_size, std::ostream& out) {
    size_t rows = 0;
    bool first = true;
    absl::Status status = ForEachSweepPage(
        client, sweep_id,
        [&](v1::GetSweepResponse& page) {
          if (first) {
            out << "{\"sweep\": " << ScriptJson(page.sweep()).dump()
                << ",\n\"total_trials\": " << page.total_trials()
                << ",\n\"total_decisions\": " << page.total_decisions()
                << ",\n\"next_page_token\": \"\",\n\"ranking\": [";
            first = false;
          }
          for (v1::RankingRow& row : *page.mutable_ranking()) {
            if (rows >= limit) break;
            row.mutable_trial()->clear_config();
            out << (rows++ > 0 ? ",\n" : "\n") << ScriptJson(row).dump();
          }
          return rows < limit && rows < static_cast<size_t>(page.total_trials());
        },
        page_size);
    if (!status.ok()) return status;
    out << "\n],\n\"decisions\": [";
    size_t decisions = 0;
    int64_t offset = 0;
    std::string token;
    do {  // Pages by the decisions' offset until `limit` or the end.
      absl::StatusOr<v1::GetSweepResponse> page =
          FetchSweepPage(client, sweep_id, page_size, token);
      if (!page.ok()) return page.status();
      for (const v1::Decision& d : page->decisions()) {
        if (decisions >= limit) break;
        out << (decisions++ > 0 ? ",\n" : "\n") << ScriptJson(d).dump();
      }
      offset += page_size;
      token = offset < page->total_decisions() && decisions < limit ? Cat(offset) : "";
    } while (!token.empty());
    out << "\n]}\n";
    return absl::OkStatus();
  }

  int64_t limit_ = 50;
};

}  // namespace

std::unique_ptr<Command> MakeStatusCommand() { return std::make_unique<StatusCommand>(); }

}  // namespace augur::cli
