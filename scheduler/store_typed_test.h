// The typed fixture every Store backend runs: one suite, one set of expectations.
#ifndef AUGUR_SCHEDULER_STORE_TYPED_TEST_H_
#define AUGUR_SCHEDULER_STORE_TYPED_TEST_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "scheduler/memory_store.h"
#include "scheduler/sqlite_store.h"
#include "scheduler/store.h"
#include "scheduler/store_test_util.h"

namespace augur::testing_util {

// Fencing tokens count 1, 2, 3 per trial in these tests (the store adds no random bits).
inline Random* CountingTokens() {
  static ZeroRandom zero;
  return &zero;
}

struct MemoryBackendFactory {
  static std::unique_ptr<Store> Make(const Clock& clock, const TempDir&) {
    return std::make_unique<MemoryStore>(clock, CountingTokens());
  }
};

struct SqliteBackendFactory {
  static std::unique_ptr<Store> Make(const Clock& clock, const TempDir& dir) {
    SqliteStore::Options options;
    options.random = CountingTokens();
    auto store = SqliteStore::Open(dir.File("store.db"), clock, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }
};

using StoreBackends = ::testing::Types<MemoryBackendFactory, SqliteBackendFactory>;

template <typename Factory>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Factory::Make(clock_, dir_);
    ASSERT_NE(store_, nullptr);
  }

  Store& store() { return *store_; }

  // Creates sweep `id` with `n` trials (the first `references` are reference runs).
  void CreateSweep(const std::string& id, int n, int references = 0) {
    ASSERT_TRUE(store().CreateSweep(MakeSweep(id), MakeTrials(id, n, references)).ok());
  }

  // Leases the next trial to `worker` for 30 s; fails the test if none is pending.
  LeaseGrant Lease(const std::string& worker = "w1") {
    auto grant = store().AcquireLease(worker, absl::Seconds(30));
    EXPECT_TRUE(grant.ok()) << grant.status();
    EXPECT_TRUE(grant.ok() && grant->has_value());
    return grant.ok() && grant->has_value() ? **grant : LeaseGrant();
  }

  PointWrite Write(const LeaseGrant& g, std::vector<v1::LossPoint> points) {
    return PointWrite{g.lease.trial_id(), g.lease.fencing_token(), std::move(points)};
  }

  FakeClock clock_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace augur::testing_util

#endif  // AUGUR_SCHEDULER_STORE_TYPED_TEST_H_
