// SqliteStore-only properties: everything survives reopening, migrations run in order and
// atomically, a newer file is refused, acknowledged points survive kill -9, and batched
// writes are fast enough. The common contract is in store_test.cc / store_lease_test.cc.
#include "scheduler/sqlite_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/sqlite_db.h"
#include "scheduler/sqlite_schema.h"
#include "scheduler/store_test_util.h"

namespace augur::testing_util {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path, const Clock& clock,
                                       SqliteStore::Options options = {}) {
  static ZeroRandom counting_tokens;  // Tokens 1, 2, 3 per trial, as these tests name them.
  if (options.random == nullptr) options.random = &counting_tokens;
  auto store = SqliteStore::Open(path, clock, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

int64_t UserVersion(const std::string& path) {
  auto db = SqliteDb::Open(path);
  EXPECT_TRUE(db.ok());
  auto version = (*db)->QueryInt("PRAGMA user_version");
  EXPECT_TRUE(version.ok());
  return version.ok() ? *version : -1;
}

TEST(SqliteStoreTest, ReopenSeesEverything) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("s.db");
  {
    auto store = OpenOrDie(path, clock);
    ASSERT_TRUE(store->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 2, 1)).ok());
    auto lease = store->AcquireLease("w1", absl::Seconds(30));
    ASSERT_TRUE(lease.ok() && lease->has_value());
    ASSERT_TRUE(store->AppendPoints(PointWrite{"s1/t000", 1, Points(1, 20)}).ok());
    v1::CheckpointCommit c;
    c.set_trial_id("s1/t000");
    c.set_fencing_token(1);
    c.set_step(10);
    c.set_path(CheckpointPathFor("s1/t000", 10));
    ASSERT_TRUE(store->CommitCheckpoint(c).ok());
    v1::Decision d;
    d.set_trial_id("s1/t001");
    d.set_action(v1::DECISION_ACTION_STOP);
    d.set_milestone_fraction(0.3);
    d.set_reason("worse");
    ASSERT_TRUE(store->RecordDecision(d).ok());
    v1::WorkerInfo w;
    w.set_worker_id("w1");
    w.set_device("cpu x2");
    ASSERT_TRUE(store->UpsertWorker(w).ok());
  }
  EXPECT_EQ(UserVersion(path), LatestSchemaVersion());
  auto store = OpenOrDie(path, clock);
  auto trial = store->GetTrial("s1/t000");
  ASSERT_TRUE(trial.ok());
  EXPECT_EQ(trial->state(), v1::TRIAL_STATE_RUNNING);
  EXPECT_EQ(trial->worker_id(), "w1");
  EXPECT_EQ(trial->checkpoint_step(), 10);
  EXPECT_EQ(trial->last_point().step(), 20);
  EXPECT_TRUE(trial->is_reference());
  EXPECT_EQ(store->ReadPoints("s1/t000", 0)->size(), 20u);
  EXPECT_EQ(store->ListDecisions("s1")->at(0).reason(), "worse");
  EXPECT_EQ(store->ListWorkers()->at(0).device(), "cpu x2");
  EXPECT_EQ(store->GetSweep("s1")->spec().name(), "spec of s1");
  EXPECT_GE(store->ReadEvents(0, 0)->size(), 4u);
  // The lease and its token are durable too: the old token still writes, and the next grant
  // after expiry gets token 2.
  EXPECT_TRUE(store->AppendPoints(PointWrite{"s1/t000", 1, Points(21, 21)}).ok());
  clock.Advance(absl::Minutes(1));
  ASSERT_EQ(store->ExpireLeases()->size(), 1u);
  auto again = store->AcquireLease("w2", absl::Seconds(30));
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->lease.fencing_token(), 2);
  EXPECT_EQ((*again)->lease.resume_from().step(), 10);
}

// Rows as an older build wrote them, with plain SQL (the store's own writes need the latest
// schema): a RUNNING sweep, and a trial in its state at `ordinal`.
absl::Status InsertOldSweep(SqliteDb& db, v1::Sweep sweep) {
  sweep.set_state(v1::Sweep::STATE_RUNNING);
  return db.Exec(absl::StrCat("INSERT INTO sweeps (sweep_id, state, created_unix_ms, sweep) ",
                              "VALUES ('", sweep.sweep_id(), "', ", static_cast<int>(sweep.state()),
                              ", 5, x'", absl::BytesToHexString(sweep.SerializeAsString()), "')"));
}

absl::Status InsertOldTrial(SqliteDb& db, const v1::Trial& trial, int ordinal) {
  return db.Exec(absl::StrCat(
      "INSERT INTO trials (trial_id, sweep_id, ordinal, state, is_reference, trial) VALUES ('",
      trial.trial_id(), "', '", trial.sweep_id(), "', ", ordinal, ", ",
      static_cast<int>(trial.state()), ", ", trial.is_reference() ? 1 : 0, ", x'",
      absl::BytesToHexString(trial.SerializeAsString()), "')"));
}

TEST(SqliteStoreTest, MigratesAVersion1File) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("old.db");
  {
    // A file as the v1 build left it, written with plain SQL.
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(MigrateSchema(**db, 1).ok());
    ASSERT_TRUE(InsertOldSweep(**db, MakeSweep("old")).ok());
    ASSERT_TRUE(InsertOldTrial(**db, MakeTrial("old", 0), 0).ok());
    EXPECT_FALSE((*db)->Exec("SELECT * FROM events").ok()) << "v1 has no event log";
  }
  EXPECT_EQ(UserVersion(path), 1);
  auto store = OpenOrDie(path, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(UserVersion(path), LatestSchemaVersion());
  EXPECT_EQ(store->GetSweep("old")->trial_counts().at("TRIAL_STATE_PENDING"), 1);
  auto lease = store->AcquireLease("w1", absl::Seconds(30));
  ASSERT_TRUE(lease.ok() && lease->has_value()) << lease.status();
  EXPECT_EQ((*lease)->lease.trial_id(), "old/t000");
  EXPECT_EQ(store->ReadEvents(0, 0)->size(), 1u) << "the v2 event log works";
}

// A v2 file (before the gpus column) keeps its rows, and every trial's gpus column is filled
// from its config, so k-GPU placement works on trials planned by an older build.
TEST(SqliteStoreTest, MigratesAVersion2FileAndBackfillsGpus) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("v2.db");
  {
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(MigrateSchema(**db, 2).ok());
    ASSERT_TRUE(InsertOldSweep(**db, MakeSweep("old")).ok());
    const int gpus[] = {4, 0, 2};  // 0: unset, i.e. 1.
    for (int i = 0; i < 3; ++i) {
      v1::Trial trial = MakeTrial("old", i);
      if (gpus[i] > 0) trial.mutable_config()->mutable_resources()->set_gpus(gpus[i]);
      ASSERT_TRUE(InsertOldTrial(**db, trial, i).ok());
    }
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO points (trial_id, step, tokens, fraction, train_loss, lr, "
                           "wall_time_unix_ms) VALUES ('old/t001', 1, 1024, 0.01, 4.5, 0.001, 7)")
                    .ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO events (unix_ms, kind, sweep_id, trial_id, detail) "
                           "VALUES (5, 'sweep_created', 'old', '', 'by v2')")
                    .ok());
  }
  auto store = OpenOrDie(path, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(UserVersion(path), LatestSchemaVersion());
  {
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    auto s = (*db)->Prepare(
        "SELECT group_concat(gpus) FROM (SELECT gpus FROM trials ORDER BY "
        "ordinal)");
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(*(*s)->Step());
    EXPECT_EQ((*s)->Text(0), "4,1,2");
  }
  EXPECT_EQ(store->GetSweep("old")->trial_counts().at("TRIAL_STATE_PENDING"), 3);
  EXPECT_DOUBLE_EQ(store->ReadPoints("old/t001", 0)->at(0).train_loss(), 4.5);
  EXPECT_EQ(store->ReadEvents(0, 0)->at(0).detail, "by v2");
  EXPECT_EQ(*store->HeadPendingNeed(), 4);  // t000 is first in line, whatever its size.
  auto two = store->AcquireLeases("w2", absl::Seconds(30), 2, 10);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 1u);
  EXPECT_EQ((*two)[0].lease.trial_id(), "old/t001");
  EXPECT_EQ(*store->HeadPendingNeed(), 4);
  auto four = store->AcquireLeases("w4", absl::Seconds(30), 4, 10);
  ASSERT_TRUE(four.ok());
  ASSERT_EQ(four->size(), 1u);
  EXPECT_EQ((*four)[0].lease.trial_id(), "old/t000");
  EXPECT_EQ(*store->HeadPendingNeed(), 2);
  ASSERT_EQ(store->AcquireLeases("w2", absl::Seconds(30), 2, 10)->size(), 1u);
  EXPECT_EQ(*store->HeadPendingNeed(), 0);  // Nothing pending.
}

// The plan of an SQL statement, one line per step (EXPLAIN QUERY PLAN's detail column).
std::string QueryPlan(SqliteDb& db, const char* sql) {
  const std::string explain = std::string("EXPLAIN QUERY PLAN ") + sql;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db.raw(), explain.c_str(), -1, &stmt, nullptr), SQLITE_OK);
  std::string plan;
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  return plan;
}

// Choosing the next lease walks indexes (no sort of every pending trial), and so do the
// live-trial count behind "sweep done" and a page of the ranking. Also prints the rate of leasing
// 1,000 trials 10 per transaction versus one per transaction (no timing assertion; docs/store.md).
TEST(SqliteStoreTest, LeaseChoiceAndLiveCountUseIndexesOnly) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("plan.db");
  auto store = OpenOrDie(path, clock);
  for (const char* id : {"a", "b"}) {
    ASSERT_TRUE(store->CreateSweep(MakeSweep(id), MakeTrials(id, 1000, 10)).ok());
  }
  auto db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok());
  const std::string lease_plan = QueryPlan(**db, kNextPendingTrialSql);
  EXPECT_THAT(lease_plan, Not(HasSubstr("TEMP B-TREE"))) << lease_plan;
  EXPECT_THAT(lease_plan, HasSubstr("sweeps_by_state")) << lease_plan;
  EXPECT_THAT(lease_plan, HasSubstr("trials_by_sweep_state")) << lease_plan;
  const std::string live_plan = QueryPlan(**db, kHasLiveTrialsSql);
  EXPECT_THAT(live_plan, HasSubstr("COVERING INDEX trials_by_sweep_state")) << live_plan;
  const std::string rank_plan = QueryPlan(**db, kRankedRowidsSql);  // A page of the ranking.
  EXPECT_THAT(rank_plan, HasSubstr("COVERING INDEX trials_by_rank")) << rank_plan;
  EXPECT_THAT(rank_plan, Not(HasSubstr("TEMP B-TREE"))) << rank_plan;
  const std::string totals_plan = QueryPlan(**db, kTrialTotalsSql);  // A sweep's summary.
  EXPECT_THAT(totals_plan, HasSubstr("COVERING INDEX trials_by_totals")) << totals_plan;

  absl::Time start = absl::Now();
  int leased = 0;
  while (true) {
    auto grants = store->AcquireLeases("w", absl::Hours(1), 10, 10);
    ASSERT_TRUE(grants.ok()) << grants.status();
    if (grants->empty()) break;
    leased += grants->size();
    if (leased >= 1000) break;
  }
  const double batched = absl::ToDoubleSeconds(absl::Now() - start);
  start = absl::Now();
  for (int i = 0; i < 1000; ++i) {
    auto grant = store->AcquireLease("w", absl::Hours(1));
    ASSERT_TRUE(grant.ok() && grant->has_value());
  }
  const double single = absl::ToDoubleSeconds(absl::Now() - start);
  EXPECT_EQ(leased, 1000);
  std::printf(
      "leasing 1000 of 2000 trials: %.3f s at 10 per transaction, then 1000 more at 1 "
      "per transaction: %.3f s\n",
      batched, single);
}

TEST(SqliteStoreTest, FailedMigrationChangesNothing) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("bad.db");
  {
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(MigrateSchema(**db, 1).ok());
    // A stray table that makes migration 2 fail half-way (after its first statement).
    ASSERT_TRUE(
        (*db)->Exec("CREATE TABLE stray (x); CREATE INDEX events_by_trial ON stray(x)").ok());
  }
  auto store = SqliteStore::Open(path, clock);
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(UserVersion(path), 1);
  auto db = SqliteDb::Open(path);
  EXPECT_FALSE((*db)->Exec("SELECT * FROM events").ok()) << "migration 2 was rolled back";
}

TEST(SqliteStoreTest, RefusesANewerSchemaVersion) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("new.db");
  {
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(
        (*db)->Exec("PRAGMA user_version = " + std::to_string(LatestSchemaVersion() + 1)).ok());
  }
  auto store = SqliteStore::Open(path, clock);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer than this build supports"));
  EXPECT_EQ(UserVersion(path), LatestSchemaVersion() + 1);
}

// The durability contract: a child process appends points and reports each acknowledged
// batch on a pipe; the parent kills it with SIGKILL mid-stream, reopens the file and finds
// every acknowledged point.
TEST(SqliteStoreTest, AcknowledgedPointsSurviveKill9) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("kill.db");
  {
    auto store = OpenOrDie(path, clock);
    ASSERT_TRUE(store->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 1)).ok());
    ASSERT_TRUE(store->AcquireLease("w1", absl::Hours(1)).ok());
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto store = SqliteStore::Open(path, clock);
    if (!store.ok()) _exit(2);
    for (int64_t step = 1;; step += 10) {
      auto ack = (*store)->AppendPoints(PointWrite{"s1/t000", 1, Points(step, step + 9)});
      if (!ack.ok()) _exit(3);
      const int64_t durable = ack->durable_step;
      if (write(fds[1], &durable, sizeof(durable)) != sizeof(durable)) _exit(4);
    }
  }
  close(fds[1]);
  int64_t acked = 0;
  int acks = 0;
  int64_t value = 0;
  while (acks < 200 && read(fds[0], &value, sizeof(value)) == sizeof(value)) {
    acked = value;
    ++acks;
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited early";
  while (read(fds[0], &value, sizeof(value)) == sizeof(value)) acked = value;  // Drain.
  close(fds[0]);
  ASSERT_GE(acked, 2000);

  auto store = OpenOrDie(path, clock);
  auto points = store->ReadPoints("s1/t000", 0);
  ASSERT_TRUE(points.ok());
  ASSERT_GE(static_cast<int64_t>(points->size()), acked);
  for (int64_t i = 0; i < acked; ++i) ASSERT_EQ((*points)[i].step(), i + 1);
  std::printf("acknowledged %lld points before SIGKILL, %zu durable after reopening\n",
              static_cast<long long>(acked), points->size());
}

TEST(SqliteStoreTest, ConcurrentWritersAreSerialized) {
  TempDir dir;
  FakeClock clock;
  auto store = OpenOrDie(dir.File("mt.db"), clock);
  ASSERT_TRUE(store->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 4)).ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store->AcquireLease("w", absl::Hours(1)).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      const std::string id = "s1/t00" + std::to_string(t);
      for (int64_t step = 1; step <= 200; step += 10) {
        auto ack = store->AppendPoints(PointWrite{id, 1, Points(step, step + 9)});
        EXPECT_TRUE(ack.ok()) << ack.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(store->ReadPoints("s1/t00" + std::to_string(t), 0)->size(), 200u);
  }
}

// 100k points in batches of 1,000 (10 trials x 100 points per transaction). No timing
// assertion: the rate is printed for docs/store.md.
TEST(SqliteStoreTest, HundredThousandPointsInBatches) {
  for (auto durability :
       {SqliteStore::Durability::kPowerLoss, SqliteStore::Durability::kProcessCrash}) {
    TempDir dir;
    FakeClock clock;
    auto store = OpenOrDie(dir.File("perf.db"), clock, {.durability = durability});
    ASSERT_TRUE(store->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 10)).ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->AcquireLease("w", absl::Hours(1)).ok());
    const absl::Time start = absl::Now();
    for (int64_t batch = 0; batch < 100; ++batch) {
      WriteBatch writes;
      for (int t = 0; t < 10; ++t) {
        writes.points.push_back(PointWrite{"s1/t00" + std::to_string(t), 1,
                                           Points(batch * 100 + 1, batch * 100 + 100)});
      }
      auto result = store->ApplyBatch(writes);
      ASSERT_TRUE(result.ok()) << result.status();
      for (const auto& r : result->points) ASSERT_TRUE(r.status.ok()) << r.status;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    int64_t total = 0;
    for (int t = 0; t < 10; ++t)
      total += store->ReadPoints("s1/t00" + std::to_string(t), 0)->size();
    EXPECT_EQ(total, 100'000);
    std::printf("synchronous=%s: 100000 points in 100 transactions: %.2f s, %.0f points/s\n",
                durability == SqliteStore::Durability::kPowerLoss ? "FULL" : "NORMAL", seconds,
                100'000 / seconds);
  }
}

}  // namespace
}  // namespace augur::testing_util
