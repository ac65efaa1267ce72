#include "scheduler/sqlite_schema.h"

#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "augur/v1/trial.pb.h"
#include "common/status_macros.h"
#include "scheduler/ranking.h"
#include "scheduler/store.h"

namespace augur {
namespace {

// kMigrations[v - 1] produces version v. Append only.
constexpr const char* kMigrations[] = {
    // v1: sweeps, trials (with lease columns), points, checkpoints, decisions, workers.
    R"sql(
CREATE TABLE sweeps (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sweep_id TEXT NOT NULL UNIQUE,
  state INTEGER NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  sweep BLOB NOT NULL
);
CREATE TABLE trials (
  trial_id TEXT PRIMARY KEY,
  sweep_id TEXT NOT NULL REFERENCES sweeps(sweep_id),
  ordinal INTEGER NOT NULL,
  state INTEGER NOT NULL,
  is_reference INTEGER NOT NULL,
  worker_id TEXT NOT NULL DEFAULT '',
  fencing_token INTEGER NOT NULL DEFAULT 0,
  lease_expires_unix_ms INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER NOT NULL DEFAULT 0,
  checkpoint_step INTEGER NOT NULL DEFAULT 0,
  trial BLOB NOT NULL,
  UNIQUE (sweep_id, ordinal)
);
CREATE INDEX trials_by_state ON trials(state, is_reference, ordinal);
CREATE INDEX trials_by_lease ON trials(state, lease_expires_unix_ms);
CREATE INDEX trials_by_worker ON trials(worker_id, state);
CREATE TABLE points (
  trial_id TEXT NOT NULL REFERENCES trials(trial_id),
  step INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  fraction REAL NOT NULL,
  train_loss REAL NOT NULL,
  lr REAL NOT NULL,
  val_loss REAL,
  wall_time_unix_ms INTEGER NOT NULL,
  PRIMARY KEY (trial_id, step)
) WITHOUT ROWID;
CREATE TABLE checkpoints (
  trial_id TEXT NOT NULL REFERENCES trials(trial_id),
  step INTEGER NOT NULL,
  fencing_token INTEGER NOT NULL,
  path TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  committed_unix_ms INTEGER NOT NULL,
  PRIMARY KEY (trial_id, step)
);
CREATE TABLE decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trial_id TEXT NOT NULL REFERENCES trials(trial_id),
  sweep_id TEXT NOT NULL REFERENCES sweeps(sweep_id),
  milestone_fraction REAL NOT NULL,
  action INTEGER NOT NULL,
  decided_unix_ms INTEGER NOT NULL,
  decision BLOB NOT NULL,
  UNIQUE (trial_id, milestone_fraction)
);
CREATE TABLE workers (
  worker_id TEXT PRIMARY KEY,
  last_heartbeat_unix_ms INTEGER NOT NULL,
  worker BLOB NOT NULL
);
)sql",
    // v2: the append-only event log; decisions listed per sweep without a scan.
    R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  unix_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  sweep_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX events_by_trial ON events(trial_id, seq);
CREATE INDEX decisions_by_sweep ON decisions(sweep_id, id);
)sql",
    // v3: k-GPU placement and index-only lease choice. `gpus` (GpuNeed of the trial, filled by
    // BackfillTrialGpus below for existing rows) lets the lease query skip trials that do not
    // fit; trials_by_sweep_state serves that query per running sweep in planning order and the
    // live-trial count; sweeps_by_state walks running sweeps oldest first. trials_by_state
    // served the old whole-table sort and has no reader left.
    R"sql(
ALTER TABLE trials ADD COLUMN gpus INTEGER NOT NULL DEFAULT 1;
DROP INDEX trials_by_state;
CREATE INDEX trials_by_sweep_state ON trials(sweep_id, state, is_reference, ordinal, gpus);
CREATE INDEX sweeps_by_state ON sweeps(state, seq);
)sql",
    // v4: the ranking's keys (ranking.h: RankTier, RankingLoss), whether a trial must run on
    // GPUs (NeedsGpu) and its tokens spent and planned, filled by BackfillTrialColumns below for
    // existing rows. A page of a sweep's ranking is then an index walk with LIMIT/OFFSET, and
    // its summary an aggregate over columns, instead of parsing every trial, and the lease query
    // skips GPU-only trials for a CPU-only worker
    // within trials_by_sweep_state (rebuilt with needs_gpu).
    R"sql(
ALTER TABLE trials ADD COLUMN rank_tier INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN rank_loss REAL NOT NULL DEFAULT 9e999;
ALTER TABLE trials ADD COLUMN needs_gpu INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN tokens_spent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN tokens_planned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX trials_by_rank ON trials(sweep_id, rank_tier, rank_loss, ordinal);
CREATE INDEX trials_by_totals ON trials(sweep_id, state, is_reference, tokens_spent,
                                        tokens_planned);
DROP INDEX trials_by_sweep_state;
CREATE INDEX trials_by_sweep_state ON trials(sweep_id, state, is_reference, ordinal, gpus,
                                             needs_gpu);
)sql",
};

// Calls `fn` with the id and parsed blob of every stored trial (for backfills: SQL cannot read
// the protobuf blob).
absl::Status ForEachStoredTrial(SqliteDb& db,
                                absl::FunctionRef<void(std::string, const v1::Trial&)> fn) {
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> s, db.Prepare("SELECT trial_id, trial FROM trials"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return absl::OkStatus();
    v1::Trial trial;
    if (!trial.ParseFromString(s->Blob(1))) {
      return absl::DataLossError(absl::StrCat("cannot parse stored trial ", s->Text(0)));
    }
    fn(s->Text(0), trial);
  }
}

// Fills trials.gpus from each trial's config.
absl::Status BackfillTrialGpus(SqliteDb& db) {
  std::vector<std::pair<std::string, int>> needs;
  RETURN_IF_ERROR(ForEachStoredTrial(db, [&](std::string id, const v1::Trial& trial) {
    const int need = GpuNeed(trial);
    if (need != 1) needs.emplace_back(std::move(id), need);  // 1 is the column default.
  }));
  for (const auto& [trial_id, need] : needs) {
    ASSIGN_OR_RETURN(std::unique_ptr<Statement> s,
                     db.Prepare("UPDATE trials SET gpus = ?2 WHERE trial_id = ?1"));
    s->BindText(1, trial_id).Bind(2, static_cast<int64_t>(need));
    RETURN_IF_ERROR(s->Run());
  }
  return absl::OkStatus();
}

// Fills trials.rank_tier, rank_loss and needs_gpu from each trial's blob.
absl::Status BackfillTrialColumns(SqliteDb& db) {
  struct Rank {
    std::string trial_id;
    int tier;
    double loss;
    bool needs_gpu;
    int64_t tokens_spent;
    int64_t tokens_planned;
  };
  std::vector<Rank> ranks;  // About 50 bytes a trial, once, at the migration.
  RETURN_IF_ERROR(ForEachStoredTrial(db, [&](std::string id, const v1::Trial& trial) {
    ranks.push_back({std::move(id), RankTier(trial), RankingLoss(trial), NeedsGpu(trial),
                     trial.last_point().tokens(), PlannedTokens(trial)});
  }));
  for (const Rank& r : ranks) {
    ASSIGN_OR_RETURN(std::unique_ptr<Statement> s,
                     db.Prepare("UPDATE trials SET rank_tier = ?2, rank_loss = ?3, needs_gpu = ?4, "
                                "tokens_spent = ?5, tokens_planned = ?6 WHERE trial_id = ?1"));
    s->BindText(1, r.trial_id)
        .Bind(2, static_cast<int64_t>(r.tier))
        .Bind(3, r.loss)
        .Bind(4, static_cast<int64_t>(r.needs_gpu))
        .Bind(5, r.tokens_spent)
        .Bind(6, r.tokens_planned);
    RETURN_IF_ERROR(s->Run());
  }
  return absl::OkStatus();
}

// Row rewrites that follow migration `version`'s SQL, in the same transaction.
absl::Status AfterMigration(SqliteDb& db, int version) {
  if (version == 3) return BackfillTrialGpus(db);
  if (version == 4) return BackfillTrialColumns(db);
  return absl::OkStatus();
}

constexpr int kLatest = static_cast<int>(std::size(kMigrations));

}  // namespace

const char kNextPendingTrialSql[] =
    "SELECT t.trial_id FROM sweeps s CROSS JOIN trials t "
    "WHERE s.state = ?1 AND t.sweep_id = s.sweep_id AND t.state = ?2 AND t.is_reference = ?3 "
    "AND t.gpus <= ?4 AND t.needs_gpu <= ?5 ORDER BY s.seq, t.ordinal LIMIT 1";
const char kTrialTotalsSql[] =
    "SELECT state, COUNT(*), SUM(tokens_spent), "
    "SUM(CASE WHEN is_reference = 0 THEN tokens_planned ELSE 0 END), "
    "SUM(MAX(0, tokens_planned - tokens_spent)) FROM trials WHERE sweep_id = ?1 GROUP BY state";
const char kBestTrialSql[] =
    "SELECT trial_id FROM trials WHERE sweep_id = ?1 AND rank_tier = ?2 AND rank_loss < 9e999 "
    "ORDER BY rank_loss, ordinal LIMIT 1";
const char kRankedRowidsSql[] =
    "SELECT rowid FROM trials WHERE sweep_id = ?1 "
    "ORDER BY rank_tier, rank_loss, ordinal LIMIT ?2 OFFSET ?3";
const char kHasLiveTrialsSql[] =
    "SELECT EXISTS (SELECT 1 FROM trials WHERE sweep_id = ?1 AND state IN (?2, ?3, ?4, ?5, ?6))";

int LatestSchemaVersion() { return kLatest; }

absl::Status MigrateSchema(SqliteDb& db, int target_version) {
  if (target_version < 0 || target_version > kLatest) {
    return absl::InvalidArgumentError(absl::StrCat("no schema version ", target_version));
  }
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(int64_t current, db.QueryInt("PRAGMA user_version"));
    if (current > target_version) {
      return absl::FailedPreconditionError(
          absl::StrCat("database schema version ", current, " is newer than this build supports (",
                       target_version, "); run a newer augur-scheduler or restore a backup"));
    }
    for (int v = static_cast<int>(current) + 1; v <= target_version; ++v) {
      RETURN_IF_ERROR(db.Exec(kMigrations[v - 1]));
      RETURN_IF_ERROR(AfterMigration(db, v));
    }
    if (current != target_version) {
      RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA user_version = ", target_version)));
    }
    return absl::OkStatus();
  }();
  if (status.ok()) status = db.Exec("COMMIT");
  if (!status.ok()) (void)db.Exec("ROLLBACK");
  return status;
}

}  // namespace augur
