#include "scheduler/memory_store.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scheduler/ranking.h"

namespace augur {
namespace {

// Ordered maps keep every listing deterministic, like the SQL ORDER BY clauses they mirror.
// Every mutation records an undo step, so Rollback restores the state at Begin exactly.
class MemoryBackend : public StoreBackend {
 public:
  absl::Status Begin() override {
    undo_.clear();
    return absl::OkStatus();
  }
  absl::Status Commit() override {
    undo_.clear();
    return absl::OkStatus();
  }
  void Rollback() override {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
    undo_.clear();
  }

  absl::StatusOr<int64_t> InsertSweep(const v1::Sweep& sweep) override {
    const std::string id = sweep.sweep_id();
    if (sweeps_.contains(id)) return absl::AlreadyExistsError(absl::StrCat("sweep ", id));
    const int64_t seq = ++sweep_seq_;
    sweeps_[id] = SweepRecord{sweep, seq};
    undo_.push_back([this, id] {
      sweeps_.erase(id);
      --sweep_seq_;
    });
    return seq;
  }
  absl::StatusOr<std::optional<SweepRecord>> LoadSweep(absl::string_view sweep_id) override {
    auto it = sweeps_.find(std::string(sweep_id));
    if (it == sweeps_.end()) return std::optional<SweepRecord>();
    return std::optional<SweepRecord>(it->second);
  }
  absl::Status UpdateSweep(const v1::Sweep& sweep) override {
    SweepRecord& record = sweeps_.at(sweep.sweep_id());
    undo_.push_back([this, old = record] { sweeps_[old.sweep.sweep_id()] = old; });
    record.sweep = sweep;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<SweepRecord>> LoadSweepsBefore(int64_t before_seq,
                                                            int limit) override {
    std::map<int64_t, const SweepRecord*, std::greater<>> by_seq;
    for (const auto& [id, record] : sweeps_) {
      if (record.seq < before_seq) by_seq[record.seq] = &record;
    }
    std::vector<SweepRecord> out;
    for (const auto& [seq, record] : by_seq) {
      if (static_cast<int>(out.size()) >= limit) break;
      out.push_back(*record);
    }
    return out;
  }

  absl::Status InsertTrial(const TrialRecord& record) override {
    const std::string id = record.trial.trial_id();
    if (trials_.contains(id)) return absl::AlreadyExistsError(absl::StrCat("trial ", id));
    trials_[id] = record;
    undo_.push_back([this, id] { trials_.erase(id); });
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<TrialRecord>> LoadTrial(absl::string_view trial_id) override {
    auto it = trials_.find(std::string(trial_id));
    if (it == trials_.end()) return std::optional<TrialRecord>();
    return std::optional<TrialRecord>(it->second);
  }
  absl::Status UpdateTrial(const TrialRecord& record) override {
    TrialRecord& stored = trials_.at(record.trial.trial_id());
    undo_.push_back([this, old = stored] { trials_[old.trial.trial_id()] = old; });
    stored = record;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadTrials(absl::string_view sweep_id,
                                                      int64_t after_ordinal,
                                                      int64_t limit) override {
    std::vector<TrialRecord> out;
    for (const TrialRecord* r : SweepTrials(sweep_id)) {
      if (r->ordinal > after_ordinal) out.push_back(*r);
    }
    return Cut(std::move(out), 0, limit);
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadRankedTrials(absl::string_view sweep_id,
                                                            int64_t offset,
                                                            int64_t limit) override {
    std::vector<TrialRecord> out;
    for (const TrialRecord* r : SweepTrials(sweep_id)) out.push_back(*r);
    std::stable_sort(out.begin(), out.end(), [](const TrialRecord& a, const TrialRecord& b) {
      return std::make_tuple(RankTier(a.trial), RankingLoss(a.trial)) <
             std::make_tuple(RankTier(b.trial), RankingLoss(b.trial));
    });
    return Cut(std::move(out), offset, limit);
  }
  absl::StatusOr<std::vector<TrialRecord>> LoadTrialsInState(absl::string_view sweep_id,
                                                             v1::TrialState state) override {
    std::vector<TrialRecord> out;
    for (const TrialRecord* r : SweepTrials(sweep_id)) {
      if (r->trial.state() == state) out.push_back(*r);
    }
    return out;
  }
  absl::StatusOr<int64_t> CountTrials(absl::string_view sweep_id) override {
    return static_cast<int64_t>(SweepTrials(sweep_id).size());
  }
  absl::StatusOr<TrialTotals> SumTrials(absl::string_view sweep_id) override {
    TrialTotals totals;
    std::optional<std::tuple<int, double>> best;  // (RankTier, RankingLoss), by ordinal.
    for (const TrialRecord* r : SweepTrials(sweep_id)) {
      const v1::Trial& t = r->trial;
      totals.counts[t.state()] += 1;
      totals.tokens_spent += t.last_point().tokens();
      if (!IsTerminal(t.state())) {
        totals.tokens_left += std::max<int64_t>(0, PlannedTokens(t) - t.last_point().tokens());
      }
      if (t.is_reference()) continue;
      totals.tokens_full += PlannedTokens(t);
      const auto key = std::make_tuple(RankTier(t), RankingLoss(t));
      if (std::isfinite(std::get<1>(key)) && (!best || key < *best)) {
        best = key;
        totals.best_trial_id = t.trial_id();
      }
    }
    return totals;
  }
  absl::StatusOr<bool> HasLiveTrials(absl::string_view sweep_id) override {
    for (const auto& [id, record] : trials_) {
      if (record.trial.sweep_id() == sweep_id && !IsTerminal(record.trial.state())) return true;
    }
    return false;
  }
  absl::StatusOr<std::optional<std::string>> NextPendingTrial(int64_t max_gpus,
                                                              DeviceKind kind) override {
    // Key: (not reference, sweep seq, ordinal), smallest first.
    std::optional<std::tuple<bool, int64_t, int64_t>> best_key;
    std::optional<std::string> best;
    for (const auto& [id, record] : trials_) {
      if (record.trial.state() != v1::TRIAL_STATE_PENDING) continue;
      if (GpuNeed(record.trial) > max_gpus) continue;
      if (kind == DeviceKind::kCpuOnly && NeedsGpu(record.trial)) continue;
      const SweepRecord& sweep = sweeps_.at(record.trial.sweep_id());
      if (sweep.sweep.state() != v1::Sweep::STATE_RUNNING) continue;
      auto key = std::make_tuple(!record.trial.is_reference(), sweep.seq, record.ordinal);
      if (!best_key || key < *best_key) {
        best_key = key;
        best = id;
      }
    }
    return best;
  }
  absl::StatusOr<std::vector<std::string>> RunningTrials(absl::string_view worker_id,
                                                         int64_t expires_at_or_before) override {
    std::vector<std::string> out;
    for (const auto& [id, record] : trials_) {
      if (record.trial.state() != v1::TRIAL_STATE_RUNNING) continue;
      if (!worker_id.empty() && record.trial.worker_id() != worker_id) continue;
      if (record.lease_expires_unix_ms <= expires_at_or_before) out.push_back(id);
    }
    return out;
  }

  absl::StatusOr<std::optional<v1::LossPoint>> LoadPoint(absl::string_view trial_id,
                                                         int64_t step) override {
    auto it = points_.find(std::make_pair(std::string(trial_id), step));
    if (it == points_.end()) return std::optional<v1::LossPoint>();
    return std::optional<v1::LossPoint>(it->second);
  }
  absl::Status InsertPoint(absl::string_view trial_id, const v1::LossPoint& point) override {
    auto key = std::make_pair(std::string(trial_id), point.step());
    points_[key] = point;
    undo_.push_back([this, key] { points_.erase(key); });
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<v1::LossPoint>> LoadPoints(absl::string_view trial_id,
                                                        int64_t from_step) override {
    std::vector<v1::LossPoint> out;
    const std::string id(trial_id);
    for (auto it = points_.lower_bound({id, from_step});
         it != points_.end() && it->first.first == id; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<std::vector<v1::LossPoint>> LoadPointsHead(absl::string_view trial_id,
                                                            double up_to_fraction) override {
    std::vector<v1::LossPoint> out;
    const std::string id(trial_id);
    const auto end = points_.upper_bound({id, std::numeric_limits<int64_t>::max()});
    for (auto it = points_.lower_bound({id, std::numeric_limits<int64_t>::min()}); it != end;
         ++it) {
      if (it->second.fraction() > up_to_fraction) {
        out.push_back(std::prev(end)->second);
        break;
      }
      out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<int64_t> MaxStep(absl::string_view trial_id) override {
    const std::string id(trial_id);
    auto it = points_.upper_bound({id, std::numeric_limits<int64_t>::max()});
    if (it == points_.begin()) return 0;
    --it;
    return it->first.first == id ? it->first.second : 0;
  }

  absl::Status UpsertCheckpoint(const v1::CheckpointCommit& commit, int64_t) override {
    auto key = std::make_pair(commit.trial_id(), commit.step());
    auto it = checkpoints_.find(key);
    if (it == checkpoints_.end()) {
      undo_.push_back([this, key] { checkpoints_.erase(key); });
    } else {
      undo_.push_back([this, key, old = it->second] { checkpoints_[key] = old; });
    }
    checkpoints_[key] = commit;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<v1::CheckpointCommit>> LatestCheckpoint(
      absl::string_view trial_id) override {
    const std::string id(trial_id);
    auto it = checkpoints_.upper_bound({id, std::numeric_limits<int64_t>::max()});
    if (it == checkpoints_.begin()) return std::optional<v1::CheckpointCommit>();
    --it;
    if (it->first.first != id) return std::optional<v1::CheckpointCommit>();
    return std::optional<v1::CheckpointCommit>(it->second);
  }

  absl::StatusOr<bool> InsertDecision(absl::string_view sweep_id,
                                      const v1::Decision& decision) override {
    for (const auto& [sweep, d] : decisions_) {
      if (d.trial_id() == decision.trial_id() &&
          d.milestone_fraction() == decision.milestone_fraction()) {
        return false;
      }
    }
    decisions_.emplace_back(std::string(sweep_id), decision);
    undo_.push_back([this] { decisions_.pop_back(); });
    return true;
  }
  absl::StatusOr<std::vector<v1::Decision>> LoadDecisions(absl::string_view sweep_id,
                                                          int64_t offset, int64_t limit) override {
    std::vector<v1::Decision> out;
    for (const auto& [sweep, d] : decisions_) {
      if (sweep == sweep_id) out.push_back(d);
    }
    return Cut(std::move(out), offset, limit);
  }
  absl::StatusOr<int64_t> CountDecisions(absl::string_view sweep_id) override {
    int64_t n = 0;
    for (const auto& [sweep, d] : decisions_) n += sweep == sweep_id;
    return n;
  }
  absl::StatusOr<std::vector<v1::Decision>> LoadTrialDecisions(
      absl::string_view trial_id) override {
    std::vector<v1::Decision> out;
    for (const auto& [sweep, d] : decisions_) {
      if (d.trial_id() == trial_id) out.push_back(d);
    }
    return out;
  }

  absl::Status UpsertWorker(const v1::WorkerInfo& worker) override {
    auto it = workers_.find(worker.worker_id());
    if (it == workers_.end()) {
      undo_.push_back([this, id = worker.worker_id()] { workers_.erase(id); });
    } else {
      undo_.push_back([this, old = it->second] { workers_[old.worker_id()] = old; });
    }
    workers_[worker.worker_id()] = worker;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<v1::WorkerInfo>> LoadWorkers() override {
    std::vector<v1::WorkerInfo> out;
    for (const auto& [id, w] : workers_) out.push_back(w);
    return out;
  }

  absl::StatusOr<int64_t> AppendEvent(const StoreEvent& event) override {
    StoreEvent stored = event;
    stored.seq = ++event_seq_;
    events_.push_back(stored);
    undo_.push_back([this] {
      events_.pop_back();
      --event_seq_;
    });
    return stored.seq;
  }
  absl::StatusOr<std::vector<StoreEvent>> LoadEvents(int64_t after_seq, int limit) override {
    std::vector<StoreEvent> out;
    for (const StoreEvent& e : events_) {
      if (e.seq <= after_seq) continue;
      if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
      out.push_back(e);
    }
    return out;
  }
  absl::StatusOr<int> DeleteSweepRows(absl::string_view sweep_id) override {
    const std::string id(sweep_id);
    int removed = 0;
    for (auto it = trials_.begin(); it != trials_.end();) {
      if (it->second.trial.sweep_id() != id) {
        ++it;
        continue;
      }
      const std::string trial_id = it->first;
      for (auto p = points_.lower_bound({trial_id, 0});
           p != points_.end() && p->first.first == trial_id;) {
        undo_.push_back([this, key = p->first, old = p->second] { points_[key] = old; });
        p = points_.erase(p);
      }
      for (auto c = checkpoints_.lower_bound({trial_id, 0});
           c != checkpoints_.end() && c->first.first == trial_id;) {
        undo_.push_back([this, key = c->first, old = c->second] { checkpoints_[key] = old; });
        c = checkpoints_.erase(c);
      }
      undo_.push_back([this, old = it->second] { trials_[old.trial.trial_id()] = old; });
      it = trials_.erase(it);
      ++removed;
    }
    undo_.push_back([this, old = decisions_] { decisions_ = old; });
    std::erase_if(decisions_, [&](const auto& entry) { return entry.first == id; });
    auto sweep = sweeps_.find(id);
    if (sweep != sweeps_.end()) {
      undo_.push_back([this, old = sweep->second] { sweeps_[old.sweep.sweep_id()] = old; });
      sweeps_.erase(sweep);
    }
    return removed;
  }

 private:
  // The sweep's trials by ordinal.
  std::vector<const TrialRecord*> SweepTrials(absl::string_view sweep_id) const {
    std::map<int64_t, const TrialRecord*> by_ordinal;
    for (const auto& [id, record] : trials_) {
      if (record.trial.sweep_id() == sweep_id) by_ordinal[record.ordinal] = &record;
    }
    std::vector<const TrialRecord*> out;
    for (const auto& [ordinal, record] : by_ordinal) out.push_back(record);
    return out;
  }
  // Rows [offset, offset + limit) of `rows` (to the end when limit < 0), as LIMIT/OFFSET.
  template <typename T>
  static std::vector<T> Cut(std::vector<T> rows, int64_t offset, int64_t limit) {
    const size_t first = std::min(rows.size(), static_cast<size_t>(std::max<int64_t>(0, offset)));
    const size_t last =
        limit < 0 ? rows.size() : std::min(rows.size(), first + static_cast<size_t>(limit));
    return std::vector<T>(std::make_move_iterator(rows.begin() + first),
                          std::make_move_iterator(rows.begin() + last));
  }
  std::vector<std::function<void()>> undo_;
  std::map<std::string, SweepRecord> sweeps_;
  int64_t sweep_seq_ = 0;
  std::map<std::string, TrialRecord> trials_;
  std::map<std::pair<std::string, int64_t>, v1::LossPoint> points_;
  std::map<std::pair<std::string, int64_t>, v1::CheckpointCommit> checkpoints_;
  std::vector<std::pair<std::string, v1::Decision>> decisions_;  // (sweep_id, decision)
  std::map<std::string, v1::WorkerInfo> workers_;
  std::vector<StoreEvent> events_;
  int64_t event_seq_ = 0;
};

}  // namespace

std::unique_ptr<StoreBackend> NewMemoryBackend() { return std::make_unique<MemoryBackend>(); }

MemoryStore::MemoryStore(const Clock& clock, Random* random)
    : BackedStore(NewMemoryBackend(), clock, random) {}

}  // namespace augur
