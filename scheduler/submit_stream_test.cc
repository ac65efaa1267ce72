// A large submit never holds its sweep in memory: the planner builds trials a batch at a time,
// and the store writes each batch as it comes, in one transaction. The heap is measured by
// counting this binary's operator new (SQLite's own malloc is not counted: its page cache is
// bounded by cache_size), against the same sweep planned whole.
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "scheduler/planner.h"
#include "scheduler/sqlite_store.h"
#include "scheduler/store_test_util.h"

namespace {
std::atomic<int64_t> live_bytes{0};
std::atomic<int64_t> peak_bytes{0};

void* Counted(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  const int64_t now = live_bytes += static_cast<int64_t>(malloc_usable_size(p));
  int64_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return p;
}
void Uncounted(void* p) {
  if (p == nullptr) return;
  live_bytes -= static_cast<int64_t>(malloc_usable_size(p));
  std::free(p);
}
}  // namespace

void* operator new(size_t n) { return Counted(n); }
void* operator new[](size_t n) { return Counted(n); }
void operator delete(void* p) noexcept { Uncounted(p); }
void operator delete[](void* p) noexcept { Uncounted(p); }
void operator delete(void* p, size_t) noexcept { Uncounted(p); }
void operator delete[](void* p, size_t) noexcept { Uncounted(p); }

namespace augur {
namespace {

using testing_util::MakeSweep;
using testing_util::TempDir;

// The heap's growth above what was live when it was made, at its highest.
class HeapPeak {
 public:
  HeapPeak() : base_(live_bytes.load()) { peak_bytes = base_; }
  int64_t growth() const { return peak_bytes.load() - base_; }

 private:
  int64_t base_;
};

// 2 sizes x 100 LRs x 10 weight decays x 10 seeds = 20,000 trials, no reference runs.
v1::SweepSpec LargeSpec() {
  v1::SweepSpec spec;
  for (int width : {128, 256}) {
    v1::ModelSize* s = spec.add_sizes();
    s->set_name(absl::StrCat("w", width));
    v1::ModelShape* shape = s->mutable_shape();
    shape->set_width(width);
    shape->set_depth(2);
    shape->set_heads(4);
    shape->set_context_tokens(64);
    shape->set_vocab_size(256);
    shape->set_base_width(128);
  }
  spec.mutable_data()->set_path("/data/kjv.txt");
  spec.set_tokens_per_param(20);
  spec.mutable_schedule()->set_shape(v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  spec.mutable_optimizer()->set_peak_lr(0.01);
  spec.set_batch_sequences(8);
  spec.mutable_search()->set_method(v1::SEARCH_METHOD_GRID);
  for (auto [p, min, max, n] : {std::tuple{v1::SEARCH_PARAMETER_PEAK_LR, 1e-4, 1e-1, 100},
                                std::tuple{v1::SEARCH_PARAMETER_WEIGHT_DECAY, 0.01, 0.3, 10}}) {
    v1::SearchDimension* d = spec.mutable_search()->add_dimensions();
    d->set_parameter(p);
    d->set_min(min);
    d->set_max(max);
    d->set_log_scale(true);
    d->set_grid_points(n);
  }
  for (int seed = 0; seed < 10; ++seed) spec.add_seeds(seed);
  spec.mutable_policy()->set_kind(v1::POLICY_KIND_NONE);
  return spec;
}
constexpr int64_t kTrials = 20'000;

// Passes a stream through, counting what it hands out and failing once `fail_after` trials
// were handed out (-1: never).
class CountingStream : public TrialStream {
 public:
  explicit CountingStream(TrialStream& inner, int64_t fail_after = -1)
      : inner_(inner), fail_after_(fail_after) {}
  const PlannedSize& size() const override { return inner_.size(); }
  absl::Status Next(size_t max, std::vector<v1::Trial>& batch) override {
    if (fail_after_ >= 0 && handed_out >= fail_after_) return absl::UnavailableError("planner");
    absl::Status s = inner_.Next(max, batch);
    largest_batch = std::max(largest_batch, batch.size());
    handed_out += static_cast<int64_t>(batch.size());
    return s;
  }
  size_t largest_batch = 0;
  int64_t handed_out = 0;

 private:
  TrialStream& inner_;
  const int64_t fail_after_;
};

// What the whole sweep costs when planned at once (the former submit): the yardstick.
int64_t WholePlanBytes() {
  HeapPeak peak;
  auto trials = PlanSweep(LargeSpec(), "s1");
  EXPECT_TRUE(trials.ok());
  EXPECT_EQ(trials->size(), static_cast<size_t>(kTrials));
  return peak.growth();
}

TEST(SubmitStreamTest, PlannerHoldsOneBatchOfTrials) {
  const int64_t whole = WholePlanBytes();
  HeapPeak peak;
  auto stream = StreamSweep(LargeSpec(), "s1");
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ((*stream)->size().trials, kTrials);  // Sized before any trial is built.
  CountingStream counting(**stream);
  std::vector<v1::Trial> batch;
  std::string last_id;
  do {
    ASSERT_TRUE(counting.Next(kCreateSweepBatch, batch).ok());
    if (!batch.empty()) last_id = batch.back().trial_id();
  } while (!batch.empty());
  EXPECT_EQ(counting.handed_out, kTrials);
  EXPECT_EQ(counting.largest_batch, kCreateSweepBatch);
  EXPECT_EQ(last_id, "s1/t19999");
  // 20 batches in the whole plan: one batch, plus the planner's own state, is far below it.
  RecordProperty("whole_plan_bytes", std::to_string(whole));
  RecordProperty("stream_peak_bytes", std::to_string(peak.growth()));
  EXPECT_LT(peak.growth(), whole / 8) << "whole plan " << whole << " bytes";
}

TEST(SubmitStreamTest, StoreWritesBatchesAsTheyCome) {
  TempDir dir;
  FakeClock clock;
  auto store = SqliteStore::Open(dir.File("s.db"), clock);
  ASSERT_TRUE(store.ok()) << store.status();
  const int64_t whole = WholePlanBytes();
  auto stream = StreamSweep(LargeSpec(), "s1");
  ASSERT_TRUE(stream.ok());
  CountingStream counting(**stream);
  HeapPeak peak;
  ASSERT_TRUE((*store)->CreateSweep(MakeSweep("s1"), counting).ok());
  RecordProperty("create_sweep_peak_bytes", std::to_string(peak.growth()));
  EXPECT_LT(peak.growth(), whole / 8) << "whole plan " << whole << " bytes";
  EXPECT_EQ(counting.largest_batch, kCreateSweepBatch);
  auto sweep = (*store)->GetSweep("s1");
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->trial_counts().at("TRIAL_STATE_PENDING"), kTrials);
  auto last = (*store)->GetTrial("s1/t19999");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->hyperparameters().seed(), 9u);
}

TEST(SubmitStreamTest, AFailedSubmitLeavesNothingBehind) {
  TempDir dir;
  FakeClock clock;
  auto store = SqliteStore::Open(dir.File("s.db"), clock);
  ASSERT_TRUE(store.ok());
  auto stream = StreamSweep(LargeSpec(), "s1");
  ASSERT_TRUE(stream.ok());
  CountingStream failing(**stream, /*fail_after=*/2500);  // In the third batch's turn.
  EXPECT_TRUE(absl::IsUnavailable((*store)->CreateSweep(MakeSweep("s1"), failing)));
  EXPECT_GE(failing.handed_out, 2000);  // Batches were written before the failure...
  EXPECT_TRUE(absl::IsNotFound((*store)->GetSweep("s1").status()));  // ...and rolled back.
  EXPECT_TRUE(absl::IsNotFound((*store)->GetTrial("s1/t000").status()));
  auto listed = (*store)->ListSweeps(10, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->sweeps.empty());
}

}  // namespace
}  // namespace augur
