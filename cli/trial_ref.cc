#include "cli/trial_ref.h"

#include <cctype>
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "common/text.h"

namespace augur::cli {
namespace {

// The ids of the RUNNING sweeps, newest first (the first page of ListSweeps is enough: a
// scheduler runs a handful at a time).
absl::StatusOr<std::vector<std::string>> RunningSweeps(SchedulerClient& client) {
  absl::StatusOr<v1::ListSweepsResponse> response = ListSweepsPage(client);
  if (!response.ok()) return response.status();
  std::vector<std::string> ids;
  for (const v1::Sweep& s : response->sweeps()) {
    if (s.state() == v1::Sweep::STATE_RUNNING) ids.push_back(s.sweep_id());
  }
  return ids;
}

}  // namespace

bool IsShortTrialId(std::string_view id) {
  if (id.size() < 2 || id[0] != 't') return false;
  for (char c : id.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string CanonicalShortId(std::string_view id) {
  if (!IsShortTrialId(id) || id.size() > 12) return std::string(id);
  char text[24];
  std::snprintf(text, sizeof(text), "t%03lld", std::stoll(std::string(id.substr(1))));
  return text;
}

absl::StatusOr<TargetRef> ResolveTarget(SchedulerClient& client,
                                        const std::vector<std::string>& args,
                                        std::string_view command, bool sweep_allowed) {
  const std::string what = sweep_allowed ? "SWEEP, TRIAL or SWEEP TRIAL" : "TRIAL or SWEEP TRIAL";
  if (args.empty() || args.size() > 2) {
    return UsageError(Cat("expected ", what, ", got ", args.size(), " arguments"));
  }
  if (args.size() == 2) {
    if (args[1].find('/') != std::string::npos || !IsShortTrialId(args[1])) {
      return UsageError(
          Cat("expected SWEEP TRIAL with a short trial id like t007, got `", args[1], "`"));
    }
    return TargetRef{args[0], Cat(args[0], "/", CanonicalShortId(args[1]))};
  }
  const std::string& arg = args[0];
  if (const size_t slash = arg.rfind('/'); slash != std::string::npos) {
    return TargetRef{arg.substr(0, slash),
                     Cat(arg.substr(0, slash + 1), CanonicalShortId(arg.substr(slash + 1)))};
  }
  if (!IsShortTrialId(arg)) {
    if (!sweep_allowed) {
      return UsageError(Cat("expected ", what, ", got `", arg, "`; e.g. augur ", command,
                            " s-20261122-080140-1a2b t007"));
    }
    return TargetRef{arg, ""};
  }
  absl::StatusOr<std::vector<std::string>> running = RunningSweeps(client);
  if (!running.ok()) return running.status();
  if (running->size() == 1) {
    return TargetRef{(*running)[0], Cat((*running)[0], "/", CanonicalShortId(arg))};
  }
  if (running->empty()) {
    return absl::FailedPreconditionError(Cat("no sweep is running to look ", arg,
                                             " up in; give the sweep: augur ", command, " SWEEP ",
                                             arg, " (augur ls lists the sweeps)"));
  }
  return absl::FailedPreconditionError(Cat(running->size(), " sweeps are running (",
                                           JoinText(*running, ", "), "); give the sweep: augur ",
                                           command, " SWEEP ", arg));
}

absl::Status WithTrialHint(absl::Status status, const std::string& sweep_id) {
  if (status.code() != absl::StatusCode::kNotFound) return status;
  return absl::NotFoundError(
      Cat(status.message(), "; see augur status ", sweep_id, " for its trials"));
}

}  // namespace augur::cli
