#include "scheduler/store_health.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace augur {

void StoreHealth::Commit(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (status.ok()) {
    if (!warning_.empty()) {
      Log(LogLevel::kInfo, "store_recovered", {}, "the store takes writes again");
    }
    warning_.clear();
    return;
  }
  if (!warning_.empty()) return;  // Logged once per outage.
  warning_ =
      absl::StrCat("the store refuses writes since ",
                   absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock_->Now(), absl::UTCTimeZone()), " (",
                   status.message(), "): new points wait on the workers");
  Log(LogLevel::kError, "store_write_failed", {{"code", absl::StatusCodeToString(status.code())}},
      status.message());
}

std::string StoreHealth::warning() const {
  absl::MutexLock lock(&mu_);
  return warning_;
}

}  // namespace augur
