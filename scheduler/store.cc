#include "scheduler/store.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace augur {

using v1::TrialState;

absl::StatusOr<PointWriteResult> Store::AppendPoints(PointWrite write) {
  WriteBatch batch;
  batch.points.push_back(std::move(write));
  ASSIGN_OR_RETURN(WriteBatchResult result, ApplyBatch(batch));
  if (!result.points.at(0).status.ok()) return result.points[0].status;
  return result.points[0];
}

absl::Status CheckPoint(const v1::LossPoint& p) {
  constexpr int64_t kMaxStep = int64_t{1} << 53;  // Beyond any run; exact as a double.
  constexpr double kMaxFraction = 1.001;          // Rounding of the last step's fraction.
  std::string bad;
  if (p.step() < 1 || p.step() > kMaxStep) {
    bad = absl::StrCat("step ", p.step(), " (must be in [1, 2^53])");
  } else if (!std::isfinite(p.fraction()) || p.fraction() < 0 || p.fraction() > kMaxFraction) {
    bad = absl::StrCat("fraction ", p.fraction(), " (must be finite, in [0, ", kMaxFraction, "])");
  } else if (!std::isfinite(p.lr()) || p.lr() < 0) {
    bad = absl::StrCat("lr ", p.lr(), " (must be finite and >= 0)");
  } else if (p.tokens() < 0) {
    bad = absl::StrCat("tokens ", p.tokens(), " (must be >= 0)");
  }
  if (bad.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("bad loss point at step ", p.step(), ": ", bad));
}

absl::Status CheckCheckpointPath(absl::string_view trial_id, int64_t step, absl::string_view path) {
  const std::string trial_dir = absl::StrReplaceAll(trial_id, {{"/", "_"}});
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  bool clean = parts.size() >= 3;
  for (size_t i = 0; i < parts.size() && clean; ++i) {
    clean = parts[i] != "." && parts[i] != ".." && (i == 0 || !parts[i].empty());
  }
  const size_t n = parts.size();
  if (clean && parts[n - 3] == trial_dir && parts[n - 2] == "checkpoints" &&
      parts[n - 1] == absl::StrFormat("step-%010d.ckpt", step)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "checkpoint path '", path, "' of trial ", trial_id, " is not .../", trial_dir,
      "/checkpoints/", absl::StrFormat("step-%010d.ckpt", step), " (no '.' or '..' parts)"));
}

absl::Status Store::CommitCheckpoint(const v1::CheckpointCommit& commit) {
  WriteBatch batch;
  batch.checkpoints.push_back(commit);
  ASSIGN_OR_RETURN(WriteBatchResult result, ApplyBatch(batch));
  return result.checkpoints.at(0);
}

absl::Status Store::RecordDecision(const v1::Decision& decision) {
  WriteBatch batch;
  batch.decisions.push_back(decision);
  ASSIGN_OR_RETURN(WriteBatchResult result, ApplyBatch(batch));
  return result.decisions.at(0);
}

absl::Status Store::CreateSweep(const v1::Sweep& sweep, const std::vector<v1::Trial>& trials) {
  absl::flat_hash_set<std::string> ids;
  for (const v1::Trial& t : trials) {
    if (!ids.insert(t.trial_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate trial_id ", t.trial_id()));
    }
  }
  std::unique_ptr<TrialStream> stream = StreamOf(trials);
  return CreateSweep(sweep, *stream);
}

absl::StatusOr<std::optional<LeaseGrant>> Store::AcquireLease(absl::string_view worker_id,
                                                              absl::Duration ttl) {
  ASSIGN_OR_RETURN(std::vector<LeaseGrant> grants,
                   AcquireLeases(worker_id, ttl, std::numeric_limits<int>::max(), 1));
  if (grants.empty()) return std::optional<LeaseGrant>();
  return std::optional<LeaseGrant>(std::move(grants[0]));
}

int GpuNeed(const v1::Trial& trial) { return std::max(1, trial.config().resources().gpus()); }

int64_t PlannedTokens(const v1::Trial& trial) {
  return trial.controls().total_steps() * trial.controls().batch_tokens();
}

bool NeedsGpu(const v1::Trial& trial) {
  const v1::Resources& r = trial.config().resources();
  return r.gpus() > 0 && !r.allow_cpu();
}

bool IsTerminal(TrialState state) {
  switch (state) {
    case v1::TRIAL_STATE_COMPLETED:
    case v1::TRIAL_STATE_STOPPED:
    case v1::TRIAL_STATE_DIVERGED:
    case v1::TRIAL_STATE_FAILED:
    case v1::TRIAL_STATE_CANCELLED:
      return true;
    default:
      return false;
  }
}

bool IsLegalTransition(TrialState from, TrialState to) {
  if (from == to || to == v1::TRIAL_STATE_UNSPECIFIED) return false;
  switch (from) {
    case v1::TRIAL_STATE_PENDING:
      // A pending trial may be paused, stopped by a policy, failed or cancelled; it becomes
      // RUNNING only through a lease.
      return to == v1::TRIAL_STATE_RUNNING || to == v1::TRIAL_STATE_PAUSED ||
             to == v1::TRIAL_STATE_STOPPED || to == v1::TRIAL_STATE_FAILED ||
             to == v1::TRIAL_STATE_CANCELLED;
    case v1::TRIAL_STATE_RUNNING:
      return true;  // Every other state: lease lost/ended, paused, or any ending.
    case v1::TRIAL_STATE_PAUSED:
      return to == v1::TRIAL_STATE_PENDING || to == v1::TRIAL_STATE_STOPPED ||
             to == v1::TRIAL_STATE_FAILED || to == v1::TRIAL_STATE_CANCELLED;
    case v1::TRIAL_STATE_WAITING:
      // Released by its group's decision (PENDING or STOPPED), or paused, failed or cancelled.
      return to == v1::TRIAL_STATE_PENDING || to == v1::TRIAL_STATE_STOPPED ||
             to == v1::TRIAL_STATE_PAUSED || to == v1::TRIAL_STATE_FAILED ||
             to == v1::TRIAL_STATE_CANCELLED;
    default:
      return false;  // Terminal and UNSPECIFIED states have no way out.
  }
}

}  // namespace augur
