// Atomicity under storage failures: a primitive that fails half-way through a transaction
// leaves no trace of the call, in both backends (the memory undo journal and SQLite ROLLBACK).
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "scheduler/backed_store.h"
#include "scheduler/memory_store.h"
#include "scheduler/sqlite_store.h"
#include "scheduler/store_test_util.h"

namespace augur::testing_util {
namespace {

// Forwards to `inner`, failing the `fail_at`-th call (1-based) of the write primitive named
// `op` with UNAVAILABLE, as a full disk would.
class FailingBackend : public StoreBackend {
 public:
  explicit FailingBackend(std::unique_ptr<StoreBackend> inner) : inner_(std::move(inner)) {}
  void FailAt(std::string op, int n) {
    op_ = std::move(op);
    left_ = n;
  }

  absl::Status Begin() override { return inner_->Begin(); }
  absl::Status Commit() override { return inner_->Commit(); }
  void Rollback() override { inner_->Rollback(); }
  absl::StatusOr<int64_t> InsertSweep(const v1::Sweep& s) override {
    RETURN_IF_ERROR(Maybe("InsertSweep"));
    return inner_->InsertSweep(s);
  }
  absl::StatusOr<std::optional<SweepRecord>> LoadSweep(absl::string_view id) override {
    return inner_->LoadSweep(id);
  }
  absl::Status UpdateSweep(const v1::Sweep& s) override {
    RETURN_IF_ERROR(Maybe("UpdateSweep"));
    return inner_->UpdateSweep(s);
  }
  absl::StatusOr<std::vector<SweepRecord>> LoadSweepsBefore(int64_t seq, int limit) override {
    return inner_->LoadSweepsBefore(seq, limit);
  }
  absl::Status InsertTrial(const TrialRecord& r) override {
    RETURN_IF_ERROR(Maybe("InsertTrial"));
    return inner_->InsertTrial(r);
  }
  absl::StatusOr<std::optional<TrialRecord>> LoadTrial(absl::string_view id) override {
    return inner_->LoadTrial(id);
  }
  absl::Status UpdateTrial(const TrialRecord& r) override {
    RETURN_IF_ERROR(Maybe("UpdateTrial"));
    return inner_->UpdateTrial(r);
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadTrials(absl::string_view id, int64_t after,
                                                      int64_t limit) override {
    return inner_->LoadTrials(id, after, limit);
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadRankedTrials(absl::string_view id, int64_t offset,
                                                            int64_t limit) override {
    return inner_->LoadRankedTrials(id, offset, limit);
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadTrialsInState(absl::string_view id,
                                                             v1::TrialState state) override {
    return inner_->LoadTrialsInState(id, state);
  }
  absl::StatusOr<int64_t> CountTrials(absl::string_view id) override {
    return inner_->CountTrials(id);
  }
  absl::StatusOr<TrialTotals> SumTrials(absl::string_view id) override {
    return inner_->SumTrials(id);
  }
  absl::StatusOr<bool> HasLiveTrials(absl::string_view id) override {
    return inner_->HasLiveTrials(id);
  }
  absl::StatusOr<std::optional<std::string>> NextPendingTrial(int64_t max_gpus,
                                                              DeviceKind kind) override {
    return inner_->NextPendingTrial(max_gpus, kind);
  }
  absl::StatusOr<std::vector<std::string>> RunningTrials(absl::string_view worker,
                                                         int64_t before) override {
    return inner_->RunningTrials(worker, before);
  }
  absl::StatusOr<std::optional<v1::LossPoint>> LoadPoint(absl::string_view id,
                                                         int64_t step) override {
    return inner_->LoadPoint(id, step);
  }
  absl::Status InsertPoint(absl::string_view id, const v1::LossPoint& p) override {
    RETURN_IF_ERROR(Maybe("InsertPoint"));
    return inner_->InsertPoint(id, p);
  }
  absl::StatusOr<std::vector<v1::LossPoint>> LoadPoints(absl::string_view id,
                                                        int64_t from) override {
    return inner_->LoadPoints(id, from);
  }
  absl::StatusOr<std::vector<v1::LossPoint>> LoadPointsHead(absl::string_view id,
                                                            double up_to) override {
    return inner_->LoadPointsHead(id, up_to);
  }
  absl::StatusOr<int64_t> MaxStep(absl::string_view id) override { return inner_->MaxStep(id); }
  absl::Status UpsertCheckpoint(const v1::CheckpointCommit& c, int64_t ms) override {
    RETURN_IF_ERROR(Maybe("UpsertCheckpoint"));
    return inner_->UpsertCheckpoint(c, ms);
  }
  absl::StatusOr<std::optional<v1::CheckpointCommit>> LatestCheckpoint(
      absl::string_view id) override {
    return inner_->LatestCheckpoint(id);
  }
  absl::StatusOr<bool> InsertDecision(absl::string_view sweep, const v1::Decision& d) override {
    RETURN_IF_ERROR(Maybe("InsertDecision"));
    return inner_->InsertDecision(sweep, d);
  }
  absl::StatusOr<std::vector<v1::Decision>> LoadDecisions(absl::string_view sweep, int64_t offset,
                                                          int64_t limit) override {
    return inner_->LoadDecisions(sweep, offset, limit);
  }
  absl::StatusOr<int64_t> CountDecisions(absl::string_view sweep) override {
    return inner_->CountDecisions(sweep);
  }
  absl::StatusOr<std::vector<v1::Decision>> LoadTrialDecisions(absl::string_view trial) override {
    return inner_->LoadTrialDecisions(trial);
  }
  absl::Status UpsertWorker(const v1::WorkerInfo& w) override {
    RETURN_IF_ERROR(Maybe("UpsertWorker"));
    return inner_->UpsertWorker(w);
  }
  absl::StatusOr<std::vector<v1::WorkerInfo>> LoadWorkers() override {
    return inner_->LoadWorkers();
  }
  absl::StatusOr<int> DeleteSweepRows(absl::string_view id) override {
    RETURN_IF_ERROR(Maybe("DeleteSweepRows"));
    return inner_->DeleteSweepRows(id);
  }
  absl::StatusOr<int64_t> AppendEvent(const StoreEvent& e) override {
    RETURN_IF_ERROR(Maybe("AppendEvent"));
    return inner_->AppendEvent(e);
  }
  absl::StatusOr<std::vector<StoreEvent>> LoadEvents(int64_t after, int limit) override {
    return inner_->LoadEvents(after, limit);
  }

 private:
  absl::Status Maybe(const char* op) {
    if (op_ != op || left_ <= 0) return absl::OkStatus();
    if (--left_ > 0) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("injected failure in ", op));
  }

  std::unique_ptr<StoreBackend> inner_;
  std::string op_;
  int left_ = 0;
};

struct MemoryRows {
  static std::unique_ptr<StoreBackend> Open(const TempDir&) { return NewMemoryBackend(); }
};
struct SqliteRows {
  static std::unique_ptr<StoreBackend> Open(const TempDir& dir) {
    auto backend = OpenSqliteBackend(dir.File("rb.db"), SqliteStore::Options());
    EXPECT_TRUE(backend.ok()) << backend.status();
    return backend.ok() ? std::move(backend).value() : nullptr;
  }
};

template <typename Rows>
class RollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto failing = std::make_unique<FailingBackend>(Rows::Open(dir_));
    rows_ = failing.get();
    store_ = std::make_unique<BackedStore>(std::move(failing), clock_, &counting_tokens_);
  }
  FakeClock clock_;
  TempDir dir_;
  FailingBackend* rows_ = nullptr;
  ZeroRandom counting_tokens_;  // Tokens 1, 2, 3 per trial, as these tests name them.
  std::unique_ptr<BackedStore> store_;
};
using RowKinds = ::testing::Types<MemoryRows, SqliteRows>;
TYPED_TEST_SUITE(RollbackTest, RowKinds);

TYPED_TEST(RollbackTest, FailedCreateSweepLeavesNothing) {
  this->rows_->FailAt("InsertTrial", 3);
  EXPECT_EQ(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 4)).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(this->store_->GetSweep("s1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store_->GetTrial("s1/t000").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(this->store_->ReadEvents(0, 0)->empty());
  // The same sweep can be created afterwards: the failed attempt left no id behind.
  ASSERT_TRUE(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 4)).ok());
  EXPECT_EQ(this->store_->ListSweeps(0, "")->sweeps.size(), 1u);
}

// The rows are gone when the log entry fails: the delete must come back whole.
TYPED_TEST(RollbackTest, FailedDeleteLeavesTheSweepWhole) {
  ASSERT_TRUE(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 2)).ok());
  auto g = this->store_->AcquireLease("w", absl::Hours(1));
  ASSERT_TRUE(g.ok() && g->has_value());
  ASSERT_TRUE(this->store_->AppendPoints(PointWrite{"s1/t000", 1, Points(1, 10)}).ok());
  ASSERT_TRUE(this->store_->CancelSweep("s1", "test").ok());
  this->rows_->FailAt("AppendEvent", 1);
  EXPECT_EQ(this->store_->DeleteSweep("s1", "alice").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(this->store_->ListTrials("s1")->size(), 2u);
  EXPECT_EQ(this->store_->ReadPoints("s1/t000", 0)->size(), 10u);
  ASSERT_TRUE(this->store_->DeleteSweep("s1", "alice").ok());
  EXPECT_EQ(this->store_->GetSweep("s1").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(RollbackTest, FailedBatchLeavesNoPointOfAnyTrial) {
  ASSERT_TRUE(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 2)).ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(this->store_->AcquireLease("w", absl::Hours(1)).ok());
  const size_t events = this->store_->ReadEvents(0, 0)->size();
  WriteBatch batch;
  batch.points.push_back(PointWrite{"s1/t000", 1, Points(1, 10)});
  batch.points.push_back(PointWrite{"s1/t001", 1, Points(1, 10)});
  this->rows_->FailAt("InsertPoint", 15);  // Trial 0 done, trial 1 half-way.
  EXPECT_EQ(this->store_->ApplyBatch(batch).status().code(), absl::StatusCode::kUnavailable);
  for (const char* id : {"s1/t000", "s1/t001"}) {
    EXPECT_TRUE(this->store_->ReadPoints(id, 0)->empty()) << id;
    EXPECT_EQ(this->store_->GetTrial(id)->last_point().step(), 0) << id;
  }
  EXPECT_EQ(this->store_->ReadEvents(0, 0)->size(), events);
  auto retry = this->store_->ApplyBatch(batch);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->points[1].inserted, 10);
}

TYPED_TEST(RollbackTest, FailedDivergenceKeepsTheTrialRunning) {
  ASSERT_TRUE(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 1)).ok());
  ASSERT_TRUE(this->store_->AcquireLease("w", absl::Hours(1)).ok());
  std::vector<v1::LossPoint> points = Points(1, 4);
  points[3].set_train_loss(std::numeric_limits<double>::quiet_NaN());
  this->rows_->FailAt("UpdateTrial", 1);  // The DIVERGED write.
  EXPECT_FALSE(this->store_->AppendPoints(PointWrite{"s1/t000", 1, points}).ok());
  EXPECT_EQ(this->store_->GetTrial("s1/t000")->state(), v1::TRIAL_STATE_RUNNING);
  EXPECT_TRUE(this->store_->ReadPoints("s1/t000", 0)->empty());
}

TYPED_TEST(RollbackTest, FailedExpiryKeepsEveryLease) {
  ASSERT_TRUE(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 3)).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(this->store_->AcquireLease("w", absl::Seconds(1)).ok());
  this->clock_.Advance(absl::Seconds(2));
  this->rows_->FailAt("UpdateTrial", 2);
  EXPECT_FALSE(this->store_->ExpireLeases().ok());
  auto trials = this->store_->ListTrials("s1");
  ASSERT_TRUE(trials.ok());
  for (const auto& t : *trials) {
    EXPECT_EQ(t.state(), v1::TRIAL_STATE_RUNNING) << t.trial_id();
  }
  EXPECT_EQ(this->store_->ExpireLeases()->size(), 3u);
}

TYPED_TEST(RollbackTest, FailedMultiLeaseGrantsNone) {
  ASSERT_TRUE(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 3)).ok());
  const size_t events = this->store_->ReadEvents(0, 0)->size();
  this->rows_->FailAt("UpdateTrial", 3);  // The third grant of one call.
  EXPECT_EQ(this->store_->AcquireLeases("w", absl::Hours(1), 3, 3).status().code(),
            absl::StatusCode::kUnavailable);
  auto trials = this->store_->ListTrials("s1");
  ASSERT_TRUE(trials.ok());
  for (const auto& t : *trials) EXPECT_EQ(t.state(), v1::TRIAL_STATE_PENDING) << t.trial_id();
  EXPECT_EQ(this->store_->ReadEvents(0, 0)->size(), events);
  auto grants = this->store_->AcquireLeases("w", absl::Hours(1), 3, 3);
  ASSERT_TRUE(grants.ok()) << grants.status();
  ASSERT_EQ(grants->size(), 3u);
  EXPECT_EQ((*grants)[2].lease.fencing_token(), 1) << "the failed grant left no token behind";
}

// A decision round whose last STOP ends the sweep: if marking the sweep DONE fails, the
// decision and the transition are rolled back with it.
TYPED_TEST(RollbackTest, FailedSweepDoneUndoesTheDecisionRound) {
  ASSERT_TRUE(this->store_->CreateSweep(MakeSweep("s1"), MakeTrials("s1", 2)).ok());
  ASSERT_TRUE(
      this->store_->TransitionTrial("s1/t000", v1::TRIAL_STATE_PENDING, v1::TRIAL_STATE_STOPPED, "")
          .ok());
  ASSERT_TRUE(this->store_->AcquireLease("w", absl::Hours(1)).ok());
  WriteBatch batch;
  v1::Decision stop;
  stop.set_trial_id("s1/t001");
  stop.set_action(v1::DECISION_ACTION_STOP);
  stop.set_milestone_fraction(0.5);
  batch.decisions.push_back(stop);
  batch.transitions.push_back({"s1/t001", v1::TRIAL_STATE_STOPPED, "policy"});
  this->rows_->FailAt("UpdateSweep", 1);
  EXPECT_EQ(this->store_->ApplyBatch(batch).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(this->store_->GetTrial("s1/t001")->state(), v1::TRIAL_STATE_RUNNING);
  EXPECT_EQ(this->store_->GetLease("s1/t001")->worker_id, "w");
  EXPECT_TRUE(this->store_->ListDecisions("s1")->empty());
  EXPECT_EQ(this->store_->GetSweep("s1")->state(), v1::Sweep::STATE_RUNNING);
  auto retry = this->store_->ApplyBatch(batch);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->transitions[0].status.ok());
  EXPECT_EQ(this->store_->GetSweep("s1")->state(), v1::Sweep::STATE_DONE);
}

}  // namespace
}  // namespace augur::testing_util
