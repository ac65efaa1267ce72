// BackedStore: reads of a sweep that stay bounded in memory however many trials it has — a walk
// over its trials in pages, a page of trials in planning order, a slice of its ranking.
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/backed_store.h"

namespace augur {
namespace {

// Trials read at once by a walk over a whole sweep: about 4 MB of rows at most.
constexpr int64_t kWalkPage = 1000;
constexpr int kDefaultTrialPage = 100;
constexpr int64_t kBeforeFirst = std::numeric_limits<int64_t>::min();

std::vector<v1::Trial> TrialsOf(std::vector<TrialRecord> records) {
  std::vector<v1::Trial> trials;
  trials.reserve(records.size());
  for (TrialRecord& r : records) trials.push_back(std::move(r.trial));
  return trials;
}

}  // namespace

absl::Status BackedStore::ForEachTrial(StoreBackend& db, absl::string_view sweep_id,
                                       absl::FunctionRef<absl::Status(TrialRecord&)> fn) {
  int64_t after = kBeforeFirst;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<TrialRecord> page, db.LoadTrials(sweep_id, after, kWalkPage));
    for (TrialRecord& r : page) RETURN_IF_ERROR(fn(r));
    if (static_cast<int64_t>(page.size()) < kWalkPage) return absl::OkStatus();
    after = page.back().ordinal;
  }
}

absl::StatusOr<TrialPage> BackedStore::ListTrialsPage(absl::string_view sweep_id, int page_size,
                                                      absl::string_view page_token) {
  if (page_size <= 0) page_size = kDefaultTrialPage;
  // The token is the ordinal of the previous page's last trial: planning order never changes,
  // so a page starts where the previous one ended whatever happened in between.
  int64_t after = kBeforeFirst;
  if (!page_token.empty() && !absl::SimpleAtoi(page_token, &after)) {
    return absl::InvalidArgumentError(absl::StrCat("bad page_token '", page_token, "'"));
  }
  return RunFor<TrialPage>([&](StoreBackend& db) -> absl::StatusOr<TrialPage> {
    RETURN_IF_ERROR(MustLoadSweep(db, sweep_id).status());
    ASSIGN_OR_RETURN(std::vector<TrialRecord> records,
                     db.LoadTrials(sweep_id, after, int64_t{page_size} + 1));
    TrialPage page;
    if (static_cast<int64_t>(records.size()) > page_size) {
      records.resize(page_size);
      page.next_page_token = absl::StrCat(records.back().ordinal);
    }
    page.trials = TrialsOf(std::move(records));
    return page;
  });
}

absl::StatusOr<RankingPage> BackedStore::ReadRanking(absl::string_view sweep_id,
                                                     const SweepSlice& slice) {
  return RunFor<RankingPage>([&](StoreBackend& db) -> absl::StatusOr<RankingPage> {
    RankingPage page;
    ASSIGN_OR_RETURN(SweepRecord record, MustLoadSweep(db, sweep_id));
    ASSIGN_OR_RETURN(page.sweep, Summarize(db, record));
    ASSIGN_OR_RETURN(page.total_trials, db.CountTrials(sweep_id));
    if (slice.max_trials != 0) {
      ASSIGN_OR_RETURN(std::vector<TrialRecord> ranked,
                       db.LoadRankedTrials(sweep_id, slice.first_trial, slice.max_trials));
      page.trials = TrialsOf(std::move(ranked));
    }
    ASSIGN_OR_RETURN(page.total_decisions, db.CountDecisions(sweep_id));
    if (slice.max_decisions != 0) {
      ASSIGN_OR_RETURN(page.decisions,
                       db.LoadDecisions(sweep_id, slice.first_decision, slice.max_decisions));
    }
    ASSIGN_OR_RETURN(std::vector<TrialRecord> running,
                     db.LoadTrialsInState(sweep_id, v1::TRIAL_STATE_RUNNING));
    page.running = TrialsOf(std::move(running));
    return page;
  });
}

}  // namespace augur
