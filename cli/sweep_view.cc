#include "cli/sweep_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/text.h"

namespace augur::cli {

std::string TrialStateName(v1::TrialState state) {
  switch (state) {
    case v1::TRIAL_STATE_PENDING:
      return "pending";
    case v1::TRIAL_STATE_RUNNING:
      return "running";
    case v1::TRIAL_STATE_PAUSED:
      return "paused";
    case v1::TRIAL_STATE_WAITING:
      return "waiting";
    case v1::TRIAL_STATE_COMPLETED:
      return "completed";
    case v1::TRIAL_STATE_STOPPED:
      return "stopped";
    case v1::TRIAL_STATE_DIVERGED:
      return "diverged";
    case v1::TRIAL_STATE_FAILED:
      return "failed";
    case v1::TRIAL_STATE_CANCELLED:
      return "cancelled";
    default:
      return "?";
  }
}

std::string SweepStateName(v1::Sweep::State state) {
  switch (state) {
    case v1::Sweep::STATE_RUNNING:
      return "running";
    case v1::Sweep::STATE_DONE:
      return "done";
    case v1::Sweep::STATE_CANCELLED:
      return "cancelled";
    default:
      return "?";
  }
}

bool IsTerminal(v1::TrialState state) {
  return state == v1::TRIAL_STATE_COMPLETED || state == v1::TRIAL_STATE_STOPPED ||
         state == v1::TRIAL_STATE_DIVERGED || state == v1::TRIAL_STATE_FAILED ||
         state == v1::TRIAL_STATE_CANCELLED;
}

std::string ShortTrialId(const std::string& trial_id) {
  const size_t slash = trial_id.rfind('/');
  return slash == std::string::npos ? trial_id : trial_id.substr(slash + 1);
}

Varying FindVarying(const std::vector<v1::RankingRow>& ranking) {
  Varying v;
  const v1::TrialHyperparameters* first = nullptr;
  for (const v1::RankingRow& row : ranking) {
    if (row.trial().is_reference()) continue;
    const v1::TrialHyperparameters& h = row.trial().hyperparameters();
    if (first == nullptr) {
      first = &h;
      continue;
    }
    v.size |= h.model_size() != first->model_size();
    v.lr |= h.peak_lr() != first->peak_lr();
    v.tau |= h.tau() != first->tau();
    v.wd |= h.weight_decay() != first->weight_decay();
    v.batch |= h.batch_sequences() != first->batch_sequences();
    v.seed |= h.seed() != first->seed();
  }
  // With tau given, weight decay is solved from it per trial: tau is the control to show.
  if (first != nullptr && first->tau() > 0) v.wd = false;
  // A single trial (or none varying): show its learning rate at least.
  if (!(v.size || v.lr || v.tau || v.wd || v.batch || v.seed)) v.lr = true;
  return v;
}

std::string HyperparameterText(const v1::Trial& trial) {
  Varying all;
  all.size = all.lr = all.tau = all.wd = all.batch = all.seed = true;
  return HyperparameterText(trial, all);
}

std::string HyperparameterText(const v1::Trial& trial, const Varying& varying) {
  const v1::TrialHyperparameters& h = trial.hyperparameters();
  std::string text;
  auto add = [&text](const std::string& part) {
    if (!text.empty()) text += " ";
    text += part;
  };
  if (varying.size || trial.is_reference()) add(h.model_size());
  if (varying.lr) add(Cat("lr=", h.peak_lr()));
  if (varying.tau && h.tau() > 0) add(Cat("tau=", h.tau()));
  if (varying.wd) add(Cat("wd=", h.weight_decay()));
  if (varying.batch) add(Cat("batch=", h.batch_sequences()));
  if (varying.seed) add(Cat("seed=", h.seed()));
  if (trial.is_reference()) add("(ref)");
  return text;
}

std::string HumanCount(int64_t n) {
  char buf[32];
  const double v = static_cast<double>(n);
  if (std::llabs(n) >= 1'000'000'000) {
    std::snprintf(buf, sizeof(buf), "%.2fG", v / 1e9);
  } else if (std::llabs(n) >= 1'000'000) {
    std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
  } else if (std::llabs(n) >= 10'000) {
    std::snprintf(buf, sizeof(buf), "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(n));
  }
  return buf;
}

std::string LossText(double loss) {
  if (!(loss > 0) || !std::isfinite(loss)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", loss);
  return buf;
}

std::string ProgressBar(double fraction, int width) {
  fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  // Eighths of a cell, so short trials still move visibly.
  static const char* const kPartial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int eighths = static_cast<int>(std::lround(fraction * width * 8));
  std::string bar;
  int cells = 0;
  for (; cells < eighths / 8; ++cells) bar += "█";
  if (cells < width && eighths % 8 != 0) {
    bar += kPartial[eighths % 8];
    ++cells;
  }
  for (; cells < width; ++cells) bar += "·";
  char pct[8];
  std::snprintf(pct, sizeof(pct), "%3d%%", static_cast<int>(std::floor(fraction * 100)));
  return bar + " " + pct;
}

std::string TrialActionLine(const v1::Trial& trial, bool pause_ordered) {
  std::string line = "trial " + trial.trial_id() + ": " + TrialStateName(trial.state());
  if (pause_ordered && trial.state() == v1::TRIAL_STATE_RUNNING) {
    line += ", pausing: its worker checkpoints it and frees its slot within seconds";
  }
  return line;
}

std::string TrialCountsText(const v1::Sweep& sweep) {
  std::vector<std::string> parts;
  for (const char* state : {"pending", "running", "waiting", "paused", "completed", "stopped",
                            "diverged", "failed", "cancelled"}) {
    // The scheduler keys counts by state name; accept both "running" and "TRIAL_STATE_RUNNING".
    int count = 0;
    for (const auto& [key, value] : sweep.trial_counts()) {
      std::string lower;
      for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == state || lower == Cat("trial_state_", state)) count += value;
    }
    if (count > 0) parts.push_back(Cat(state, " ", count));
  }
  return parts.empty() ? "no trials" : JoinText(parts, ", ");
}

std::string StopReason(const v1::Trial& trial) {
  if (trial.state() == v1::TRIAL_STATE_STOPPED && trial.has_last_decision() &&
      !trial.last_decision().reason().empty()) {
    return Cat("at ", std::lround(trial.last_decision().milestone_fraction() * 100),
               "%: ", trial.last_decision().reason());
  }
  if (trial.state() == v1::TRIAL_STATE_WAITING) {
    return Cat("at ", std::lround(trial.last_point().fraction() * 100),
               "%: waits for every live trial of its group to get there, then they are decided "
               "together");
  }
  if ((IsTerminal(trial.state()) && trial.state() != v1::TRIAL_STATE_COMPLETED) ||
      trial.state() == v1::TRIAL_STATE_PAUSED) {
    return trial.message();
  }
  return "";
}

std::string DurationText(double seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds)) return "-";
  const int64_t s = std::llround(seconds);
  if (s < 60) return Cat(s, "s");
  if (s < 3600) return Cat(s / 60, "m", s % 60 < 10 ? "0" : "", s % 60, "s");
  if (s < 48 * 3600)
    return Cat(s / 3600, "h", (s % 3600) / 60 < 10 ? "0" : "", (s % 3600) / 60, "m");
  return Cat(s / 86400, "d", (s % 86400) / 3600, "h");
}

double TrialEtaSeconds(const v1::Trial& trial) {
  if (trial.tokens_per_second() <= 0) return 0;
  const double left = static_cast<double>(trial.controls().total_steps()) *
                          static_cast<double>(trial.controls().batch_tokens()) -
                      static_cast<double>(trial.last_point().tokens());
  return left > 0 ? left / trial.tokens_per_second() : 0;
}

Table RankingTable(const std::vector<v1::RankingRow>& ranking, int bar_width) {
  Table table({"#", "TRIAL", "HYPERPARAMETERS", "PROGRESS", "LOSS", "PREDICTED", "INTERVAL", "DEV",
               "TOK/S", "ETA", "STATE", "WHY STOPPED"});
  for (size_t c : {0u, 4u, 5u, 7u, 8u, 9u}) table.SetAlign(c, Table::Align::kRight);
  const Varying varying = FindVarying(ranking);
  for (const v1::RankingRow& row : ranking) {
    const v1::Trial& t = row.trial();
    const bool has_prediction = t.has_prediction() && t.prediction().final_loss() > 0;
    std::string interval, deviation;
    if (has_prediction && t.prediction().has_final_loss_interval()) {
      const v1::Interval& i = t.prediction().final_loss_interval();
      if (i.high() > 0) interval = Cat("[", LossText(i.low()), ", ", LossText(i.high()), "]");
    }
    // Both zero: the scheduler did not measure it (not "a perfect collapse").
    if (has_prediction &&
        (t.prediction().deviation() != 0 || t.prediction().deviation_in_sigmas() != 0)) {
      char buf[32];
      if (t.prediction().deviation_in_sigmas() > 0) {
        std::snprintf(buf, sizeof(buf), "%.1fσ", t.prediction().deviation_in_sigmas());
      } else {
        std::snprintf(buf, sizeof(buf), "%.3f", t.prediction().deviation());
      }
      deviation = buf;
    }
    const double fraction =
        t.state() == v1::TRIAL_STATE_COMPLETED ? 1.0 : t.last_point().fraction();
    const double loss = t.last_point().has_val_loss() && t.last_point().val_loss() > 0
                            ? t.last_point().val_loss()
                            : t.last_point().train_loss();
    table.AddRow({row.rank() > 0 ? Cat(row.rank()) : "", ShortTrialId(t.trial_id()),
                  HyperparameterText(t, varying), ProgressBar(fraction, bar_width), LossText(loss),
                  has_prediction ? LossText(t.prediction().final_loss()) : "-", interval, deviation,
                  t.tokens_per_second() > 0 ? HumanCount(std::llround(t.tokens_per_second())) : "-",
                  DurationText(TrialEtaSeconds(t)), TrialStateName(t.state()), StopReason(t)});
  }
  return table;
}

double PlotRangeFromFraction(const v1::Trial& trial) {
  const double warmup = trial.controls().schedule().warmup_fraction();
  return warmup > 0 ? std::min(warmup, 0.5) : 0.05;
}

std::string TimeText(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace augur::cli
