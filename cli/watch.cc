#include "cli/watch.h"

#include <unistd.h>

#include <cmath>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/remote_commands.h"
#include "cli/script_json.h"
#include "cli/sweep_view.h"
#include "common/text.h"

namespace augur::cli {
namespace {

constexpr size_t kStopsShown = 8;

std::string Clock() {
  const absl::Time now = absl::Now();
  return absl::FormatTime("%H:%M:%S", now, absl::LocalTimeZone());
}

std::string ProgressLine(const v1::Sweep& sweep, const std::vector<v1::RankingRow>& ranking) {
  std::string best;
  const Varying varying = FindVarying(ranking);
  for (const v1::RankingRow& row : ranking) {
    if (row.rank() == 1 && row.trial().last_point().train_loss() > 0) {
      const v1::Trial& t = row.trial();
      const double predicted = t.has_prediction() ? t.prediction().final_loss() : 0;
      best = Cat("; leader ", ShortTrialId(t.trial_id()), " (", HyperparameterText(t, varying),
                 ") loss ", LossText(t.last_point().train_loss()),
                 predicted > 0 ? Cat(", predicted final ", LossText(predicted)) : "");
    }
  }
  const std::string speed =
      sweep.tokens_per_second() > 0
          ? Cat("; ", HumanCount(std::llround(sweep.tokens_per_second())), " tokens/s, ETA ",
                DurationText(static_cast<double>(sweep.tokens_left()) / sweep.tokens_per_second()),
                " if nothing more is stopped")
          : std::string();
  return Cat(Clock(), "  ", TrialCountsText(sweep), "; tokens ", HumanCount(sweep.tokens_spent()),
             " of ", HumanCount(sweep.tokens_full()), speed, best);
}

}  // namespace

bool IsTty(const std::ostream& out) { return &out == &std::cout && ::isatty(STDOUT_FILENO) == 1; }

std::string RenderView(const v1::Sweep& sweep, const std::vector<v1::RankingRow>& ranking,
                       const std::vector<v1::Decision>& stops) {
  std::ostringstream out;
  PrintSweepHeader(sweep, out);
  out << "\n";
  RankingTable(ranking).Print(out);
  if (!stops.empty()) {
    out << "\nstops" << (stops.size() > kStopsShown ? " (latest)" : "") << ":\n";
    const size_t first = stops.size() > kStopsShown ? stops.size() - kStopsShown : 0;
    PrintDecisions({stops.begin() + static_cast<std::ptrdiff_t>(first), stops.end()}, out);
  }
  return out.str();
}

absl::StatusOr<v1::WatchRankingResponse> WatchSweep(SchedulerClient& client,
                                                    const std::string& sweep_id,
                                                    grpc::ClientContext* context,
                                                    const WatchOptions& options,
                                                    std::ostream& out) {
  v1::WatchRankingRequest request;
  request.set_sweep_id(sweep_id);
  request.set_min_interval_ms(options.min_interval_ms);
  request.set_max_rows(options.max_rows);
  auto reader = client.stub().WatchRanking(context, request);
  v1::WatchRankingResponse update, last;
  std::vector<v1::Decision> stops;
  std::map<std::string, v1::TrialState> states;
  absl::Time last_line = absl::InfinitePast();
  bool any = false;
  while (reader->Read(&update)) {
    any = true;
    for (const v1::Decision& d : update.new_decisions()) {
      if (d.action() == v1::DECISION_ACTION_STOP) stops.push_back(d);
    }
    // Only the latest are shown; a long sweep's stops must not pile up in memory.
    if (stops.size() > 2 * kStopsShown) stops.erase(stops.begin(), stops.end() - kStopsShown);
    const std::vector<v1::RankingRow> ranking(update.ranking().begin(), update.ranking().end());
    if (options.json) {
      v1::WatchRankingResponse shown = update;
      for (auto& row : *shown.mutable_ranking()) row.mutable_trial()->clear_config();
      out << ScriptJson(shown).dump() << "\n" << std::flush;
    } else if (options.in_place) {
      // Home, clear to the end of the screen, draw: no scrolling, no flicker of a full clear.
      out << "\033[H\033[J" << RenderView(update.sweep(), ranking, stops) << std::flush;
    } else {
      const Varying varying = FindVarying(ranking);
      for (const v1::RankingRow& row : ranking) {
        const v1::Trial& t = row.trial();
        auto [it, inserted] = states.emplace(t.trial_id(), t.state());
        if (!inserted && it->second == t.state()) continue;
        const bool first_sight_boring = inserted && t.state() == v1::TRIAL_STATE_PENDING;
        it->second = t.state();
        if (first_sight_boring) continue;
        out << Clock() << "  " << ShortTrialId(t.trial_id()) << " ("
            << HyperparameterText(t, varying) << ") " << TrialStateName(t.state());
        if (IsTerminal(t.state())) {
          out << " at " << std::lround(t.last_point().fraction() * 100) << "%";
          if (t.last_point().train_loss() > 0)
            out << ", loss " << LossText(t.last_point().train_loss());
          if (const std::string why = StopReason(t); !why.empty()) out << ": " << why;
        } else if (const std::string why = StopReason(t); !why.empty()) {
          out << " " << why;  // Waiting at a milestone, or paused (and why).
        }
        out << "\n";
      }
      const absl::Time now = absl::Now();
      if (now - last_line >= options.line_interval ||
          update.sweep().state() != v1::Sweep::STATE_RUNNING) {
        out << ProgressLine(update.sweep(), ranking) << "\n";
        last_line = now;
      }
      out << std::flush;
    }
    last = update;
  }
  const grpc::Status status = reader->Finish();
  if (status.error_code() == grpc::StatusCode::CANCELLED) {
    if (!any) return absl::CancelledError("interrupted");
    return last;
  }
  if (absl::Status s = client.Check(status, "WatchRanking"); !s.ok()) return s;
  if (!any) return absl::UnavailableError("WatchRanking ended without an update");
  return last;
}

}  // namespace augur::cli
