// One-line structured log records for the daemons, on stderr:
//   2026-12-04T16:57:26.123Z WARNING augur-worker lease_lost trial=s-1/t000 worker=w1: stopped
// time (UTC), level, component, event name, key=value fields (values with spaces quoted), and a
// free-text message. Records below the minimum level (SetMinLogLevel, or env AUGUR_LOG_LEVEL:
// debug, info, warning, error) are dropped. Thread-safe; tests may capture records with
// SetLogSinkForTest.
#ifndef AUGUR_COMMON_LOG_H_
#define AUGUR_COMMON_LOG_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace augur {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogField = std::pair<absl::string_view, std::string>;

// The component name of every record of this process (e.g. "augur-worker").
void SetLogComponent(std::string component);
void SetMinLogLevel(LogLevel level);
// Parses "debug", "info", "warning" or "error"; false (and no change) otherwise.
bool SetMinLogLevel(absl::string_view name);
// Replaces stderr as the destination (nullptr restores it).
void SetLogSinkForTest(std::function<void(const std::string& line)> sink);

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields,
         absl::string_view message = "");

}  // namespace augur

#endif  // AUGUR_COMMON_LOG_H_
