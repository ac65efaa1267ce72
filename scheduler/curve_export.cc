#include "scheduler/curve_export.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace augur {
namespace {

std::string ShortId(const std::string& id) { return id.substr(id.rfind('/') + 1); }

// Sends one trial's curve; false when the reader has gone.
absl::StatusOr<bool> SendCurve(Scheduler& scheduler, v1::Trial trial,
                               absl::FunctionRef<bool(const v1::TrialCurve&)> write) {
  ASSIGN_OR_RETURN(std::vector<v1::LossPoint> points, scheduler.ReadPoints(trial.trial_id()));
  trial.clear_config();
  for (size_t from = 0; from == 0 || from < points.size(); from += kPointsPerCurveMessage) {
    v1::TrialCurve curve;
    *curve.mutable_trial() = trial;
    const size_t to = std::min(points.size(), from + kPointsPerCurveMessage);
    for (size_t i = from; i < to; ++i) *curve.add_points() = std::move(points[i]);
    if (!write(curve)) return false;
    if (to == points.size()) break;
  }
  return true;
}

// Calls `fn` on every trial of the sweep in planning order, a page at a time; stops early when
// `fn` returns false.
absl::Status WalkTrials(Scheduler& scheduler, const std::string& sweep_id,
                        absl::FunctionRef<absl::StatusOr<bool>(v1::Trial)> fn) {
  std::string token;
  do {
    ASSIGN_OR_RETURN(TrialPage page, scheduler.ListTrialsPage(sweep_id, kExportTrialPage, token));
    for (v1::Trial& t : page.trials) {
      ASSIGN_OR_RETURN(bool more, fn(std::move(t)));
      if (!more) return absl::OkStatus();
    }
    token = std::move(page.next_page_token);
  } while (!token.empty());
  return absl::OkStatus();
}

}  // namespace

absl::Status ExportCurves(Scheduler& scheduler, const std::string& sweep_id,
                          const std::vector<std::string>& trial_ids,
                          absl::FunctionRef<bool(const v1::TrialCurve&)> write) {
  if (trial_ids.empty()) {
    return WalkTrials(scheduler, sweep_id,
                      [&](v1::Trial t) { return SendCurve(scheduler, std::move(t), write); });
  }
  std::set<std::string> wanted;
  for (const std::string& id : trial_ids) {
    wanted.insert(id.find('/') == std::string::npos ? absl::StrCat(sweep_id, "/", id) : id);
  }
  // A first walk finds the named trials (they are few; the rows they are found among are
  // dropped page by page) and the sweep's first and last ids for the hint.
  std::vector<v1::Trial> named;
  std::string first, last;
  RETURN_IF_ERROR(WalkTrials(scheduler, sweep_id, [&](v1::Trial t) -> absl::StatusOr<bool> {
    if (first.empty()) first = t.trial_id();
    last = t.trial_id();
    if (wanted.erase(t.trial_id())) named.push_back(std::move(t));
    return true;
  }));
  if (!wanted.empty()) {
    std::vector<std::string> unknown;
    for (const std::string& id : wanted) unknown.push_back(ShortId(id));
    const std::string hint = first.empty()
                                 ? ""
                                 : absl::StrCat("; it has ", ShortId(first), " to ", ShortId(last),
                                                " (see augur status ", sweep_id, ")");
    return absl::NotFoundError(
        absl::StrCat("sweep ", sweep_id, " has no trial ", absl::StrJoin(unknown, ", "), hint));
  }
  for (v1::Trial& t : named) {
    ASSIGN_OR_RETURN(bool more, SendCurve(scheduler, std::move(t), write));
    if (!more) break;
  }
  return absl::OkStatus();
}

}  // namespace augur
