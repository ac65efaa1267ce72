#include "scheduler/sweep_control.h"

#include <algorithm>
#include <optional>
#include <span>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "scheduler/model_file.h"
#include "scheduler/sweep_limits.h"
#include "scheduler/trial_speed.h"

namespace augur {
namespace {

// Trials per page when a whole sweep is walked (a cancel's ended rows, stored stops).
constexpr int kTrialPage = 1000;

}  // namespace

absl::StatusOr<v1::SubmitSweepResponse> SweepControl::Submit(const v1::SubmitSweepRequest& req,
                                                             const std::string& owner) {
  if (!planner_) return absl::UnimplementedError("this scheduler has no sweep planner");
  const std::string sweep_id =
      absl::StrCat("s-", absl::FormatTime("%Y%m%d-%H%M%S", p_.clock->Now(), absl::UTCTimeZone()),
                   "-", absl::StrFormat("%04x", p_.random->Next() & 0xffff));
  RETURN_IF_ERROR(CheckSpecSize(req.spec(), p_.limits));
  v1::SweepSpec spec = req.spec();
  RETURN_IF_ERROR(EmbedModelFile(*spec.mutable_policy()));  // Decisions never open a path.
  // Sized before anything is built or written; then planned and written a batch at a time.
  ASSIGN_OR_RETURN(std::unique_ptr<TrialStream> trials, planner_(spec, sweep_id));
  RETURN_IF_ERROR(CheckPlannedSize(trials->size(), p_.limits));
  v1::Sweep sweep;
  sweep.set_sweep_id(sweep_id);
  *sweep.mutable_spec() = std::move(spec);
  sweep.set_state(v1::Sweep::STATE_RUNNING);
  sweep.set_created_unix_ms(p_.clock->NowUnixMs());
  sweep.set_owner(owner);
  RETURN_IF_ERROR(p_.store->CreateSweep(sweep, *trials));
  ASSIGN_OR_RETURN(v1::Sweep stored, p_.store->GetSweep(sweep_id));
  p_.dispatcher->Wake();
  p_.activity->Changed();
  v1::SubmitSweepResponse resp;
  *resp.mutable_sweep() = stored;
  resp.set_planned_trials(static_cast<int32_t>(trials->size().trials));
  return resp;
}

absl::StatusOr<v1::GetSweepResponse> SweepControl::GetSweep(const std::string& sweep_id,
                                                            const SweepSlice& slice) {
  ASSIGN_OR_RETURN(RankingPage page, p_.store->ReadRanking(sweep_id, slice));
  // Speeds of the running trials (as many as the workers have slots), from their recent points.
  absl::flat_hash_map<std::string, double> speeds;
  std::vector<double> running_speeds;
  for (const v1::Trial& t : page.running) {
    auto recent = p_.store->ReadPoints(
        t.trial_id(), std::max<int64_t>(1, t.last_point().step() - kSpeedWindowSteps));
    // A speed is a nicety; the page is still right without it.
    const double speed = recent.ok() ? TokensPerSecond(*recent) : 0;
    if (speed > 0) speeds[t.trial_id()] = speed;
    running_speeds.push_back(speed);
  }
  v1::GetSweepResponse resp;
  *resp.mutable_sweep() = std::move(page.sweep);
  resp.mutable_sweep()->set_tokens_per_second(SweepTokensPerSecond(running_speeds));
  resp.set_total_trials(static_cast<int32_t>(page.total_trials));
  resp.set_total_decisions(static_cast<int32_t>(page.total_decisions));
  const int64_t first_rank = std::max<int64_t>(0, slice.first_trial) + 1;
  for (size_t i = 0; i < page.trials.size(); ++i) {
    v1::RankingRow* row = resp.add_ranking();
    row->set_rank(static_cast<int32_t>(first_rank + static_cast<int64_t>(i)));
    if (auto it = speeds.find(page.trials[i].trial_id()); it != speeds.end()) {
      page.trials[i].set_tokens_per_second(it->second);
    }
    *row->mutable_trial() = std::move(page.trials[i]);
  }
  for (v1::Decision& d : page.decisions) *resp.add_decisions() = std::move(d);
  return resp;
}

absl::StatusOr<v1::Trial> SweepControl::EndTrial(const std::string& trial_id, v1::TrialState to,
                                                 const std::string& reason) {
  const absl::Time arrived = p_.clock->Now();
  ASSIGN_OR_RETURN(v1::Trial trial, p_.store->GetTrial(trial_id));
  if (IsTerminal(trial.state())) {
    return absl::FailedPreconditionError(absl::StrCat("trial ", trial_id, " already ended (",
                                                      v1::TrialState_Name(trial.state()), ")"));
  }
  ASSIGN_OR_RETURN(LeaseInfo lease, p_.store->GetLease(trial_id));
  ASSIGN_OR_RETURN(v1::Trial ended, p_.store->TransitionTrial(trial_id, trial.state(), to, reason));
  p_.curves->Update(std::span<const v1::Trial>(&ended, 1));
  p_.sessions->AnnounceEnded(std::span<const std::string>(&trial_id, 1));  // Kept checkpoints.
  if (trial.state() == v1::TRIAL_STATE_RUNNING && !lease.worker_id.empty()) {
    const TrialOrderFor order{lease.worker_id, trial_id, lease.fencing_token,
                              v1::TrialOrder::ACTION_STOP, reason};
    p_.sessions->SendOrders(std::span(&order, 1), p_.clock->NowUnixMs());
    if (p_.observer) p_.observer->StopOrderQueued(p_.clock->Now() - arrived);
    p_.dispatcher->Wake();  // Its slot is free.
  }
  p_.activity->Changed();
  return ended;
}

absl::StatusOr<v1::Trial> SweepControl::StopTrial(const std::string& trial_id,
                                                  const std::string& reason) {
  return EndTrial(trial_id, v1::TRIAL_STATE_CANCELLED, reason.empty() ? "stopped by user" : reason);
}

absl::StatusOr<v1::Trial> SweepControl::PauseTrial(const std::string& trial_id,
                                                   const std::string& reason) {
  const std::string why = reason.empty() ? "paused by user" : reason;
  ASSIGN_OR_RETURN(v1::Trial trial, p_.store->GetTrial(trial_id));
  if (trial.state() == v1::TRIAL_STATE_RUNNING) {
    // The worker checkpoints, then reports PAUSED through TrialEnded, which ends the lease.
    ASSIGN_OR_RETURN(LeaseInfo lease, p_.store->GetLease(trial_id));
    const TrialOrderFor order{lease.worker_id, trial_id, lease.fencing_token,
                              v1::TrialOrder::ACTION_PAUSE, why};
    if (!p_.sessions->SendOrders(std::span(&order, 1), p_.clock->NowUnixMs())[0]) {
      return absl::UnavailableError(
          absl::StrCat("worker ", lease.worker_id, " holding ", trial_id, " is not connected"));
    }
    return trial;
  }
  ASSIGN_OR_RETURN(v1::Trial paused, p_.store->PauseTrial(trial_id, why));
  p_.curves->Update(std::span<const v1::Trial>(&paused, 1));
  p_.activity->Changed();
  return paused;
}

absl::StatusOr<v1::Trial> SweepControl::ResumeTrial(const std::string& trial_id,
                                                    const std::string& reason) {
  ASSIGN_OR_RETURN(v1::Trial trial,
                   p_.store->ResumeTrial(trial_id, reason.empty() ? "resumed by user" : reason));
  p_.curves->Update(std::span<const v1::Trial>(&trial, 1));
  p_.dispatcher->Wake();
  p_.activity->Changed();
  return trial;
}

absl::StatusOr<v1::Sweep> SweepControl::CancelSweep(const std::string& sweep_id,
                                                    const std::string& who,
                                                    const std::string& reason) {
  const std::string why = absl::StrCat("cancelled by ", who.empty() ? "local" : who,
                                       reason.empty() ? "" : ": ", reason);
  // The leases to revoke, read before the store ends them: the running trials only (as many as
  // the workers' slots), not the sweep.
  SweepSlice running_only;
  running_only.max_trials = 0;
  running_only.max_decisions = 0;
  ASSIGN_OR_RETURN(RankingPage before, p_.store->ReadRanking(sweep_id, running_only));
  std::vector<TrialOrderFor> orders;
  for (const v1::Trial& t : before.running) {
    auto lease = p_.store->GetLease(t.trial_id());
    if (lease.ok() && !lease->worker_id.empty()) {
      orders.push_back(
          {lease->worker_id, t.trial_id(), lease->fencing_token, v1::TrialOrder::ACTION_STOP, why});
    }
  }
  // One store call cancels the sweep with every trial that has not ended, leases included.
  // Ending the running trials one by one first would let the last of them finish the sweep as
  // DONE, and the cancel would then be refused.
  ASSIGN_OR_RETURN(v1::Sweep sweep, p_.store->CancelSweep(sweep_id, why));
  const absl::Time now = p_.clock->Now();
  p_.sessions->SendOrders(orders, absl::ToUnixMillis(now));
  if (p_.observer) {
    for (size_t i = 0; i < orders.size(); ++i) p_.observer->StopOrderQueued(p_.clock->Now() - now);
  }
  // The ended rows, a page at a time, to the curves; and to the workers, those that ran (only
  // they can have kept checkpoints).
  std::string token;
  do {
    ASSIGN_OR_RETURN(TrialPage page, p_.store->ListTrialsPage(sweep_id, kTrialPage, token));
    std::vector<std::string> ran;
    for (const v1::Trial& t : page.trials) {
      if (t.state() == v1::TRIAL_STATE_CANCELLED && t.attempts() > 0) ran.push_back(t.trial_id());
    }
    p_.sessions->AnnounceEnded(ran);
    p_.curves->Update(page.trials);
    token = std::move(page.next_page_token);
  } while (!token.empty());
  if (!orders.empty()) p_.dispatcher->Wake();  // Their slots are free.
  p_.activity->Changed();
  return sweep;
}

absl::StatusOr<int> SweepControl::DeleteSweep(const std::string& sweep_id, bool force,
                                              const std::string& who) {
  ASSIGN_OR_RETURN(v1::Sweep sweep, p_.store->GetSweep(sweep_id));
  if (sweep.state() == v1::Sweep::STATE_RUNNING) {
    if (!force) {
      return absl::FailedPreconditionError(absl::StrCat("sweep ", sweep_id,
                                                        " is running; stop it first (augur stop ",
                                                        sweep_id, ") or delete it with --force"));
    }
    RETURN_IF_ERROR(CancelSweep(sweep_id, who, "deleted").status());
  }
  ASSIGN_OR_RETURN(int trials, p_.store->DeleteSweep(sweep_id, who.empty() ? "local" : who));
  p_.curves->ForgetEnded();  // Its rows leave memory too (the store no longer knows it).
  p_.activity->Changed();
  return trials;
}

absl::StatusOr<v1::Sweep> SweepControl::AnnotateSweep(const v1::AnnotateSweepRequest& req,
                                                      const std::string& who) {
  std::optional<std::string> note;
  if (req.set_note()) note = req.note();
  ASSIGN_OR_RETURN(
      v1::Sweep sweep,
      p_.store->AnnotateSweep(req.sweep_id(), {req.add_tags().begin(), req.add_tags().end()},
                              {req.remove_tags().begin(), req.remove_tags().end()}, note,
                              who.empty() ? "local" : who));
  p_.activity->Changed();
  return sweep;
}

void SweepControl::ExecuteStoredStops() {
  std::string token;
  do {
    auto page = p_.store->ListSweeps(100, token);
    if (!page.ok()) return;
    for (const v1::Sweep& sweep : page->sweeps) {
      if (sweep.state() != v1::Sweep::STATE_RUNNING) continue;
      std::string trials_token;  // A page at a time: memory does not grow with the sweep.
      do {
        auto trials = p_.store->ListTrialsPage(sweep.sweep_id(), kTrialPage, trials_token);
        if (!trials.ok()) break;
        for (const v1::Trial& t : trials->trials) {
          if (IsTerminal(t.state()) || !t.has_last_decision() ||
              t.last_decision().action() != v1::DECISION_ACTION_STOP) {
            continue;
          }
          EndTrial(t.trial_id(), v1::TRIAL_STATE_STOPPED, t.last_decision().reason()).IgnoreError();
        }
        trials_token = std::move(trials->next_page_token);
      } while (!trials_token.empty());
    }
    token = page->next_page_token;
  } while (!token.empty());
}

}  // namespace augur
