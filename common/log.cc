#include "common/log.h"

#include <cstdio>
#include <cstdlib>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace augur {
namespace {

struct LogState {
  absl::Mutex mu;
  std::string component ABSL_GUARDED_BY(mu) = "augur";
  LogLevel min_level ABSL_GUARDED_BY(mu) = LogLevel::kInfo;
  std::function<void(const std::string&)> sink ABSL_GUARDED_BY(mu);
};

LogState& State() {
  static LogState* state = [] {
    auto* s = new LogState;
    if (const char* env = std::getenv("AUGUR_LOG_LEVEL")) {
      const std::string name = absl::AsciiStrToLower(env);
      absl::MutexLock lock(&s->mu);
      if (name == "debug") s->min_level = LogLevel::kDebug;
      if (name == "warning") s->min_level = LogLevel::kWarning;
      if (name == "error") s->min_level = LogLevel::kError;
    }
    return s;
  }();
  return *state;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

// Values with spaces, quotes or '=' are quoted, so that a record splits on spaces.
std::string Quoted(absl::string_view v) {
  if (!v.empty() && !absl::StrContains(v, ' ') && !absl::StrContains(v, '"') &&
      !absl::StrContains(v, '=')) {
    return std::string(v);
  }
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

}  // namespace

void SetLogComponent(std::string component) {
  absl::MutexLock lock(&State().mu);
  State().component = std::move(component);
}

void SetMinLogLevel(LogLevel level) {
  absl::MutexLock lock(&State().mu);
  State().min_level = level;
}

bool SetMinLogLevel(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "debug")
    SetMinLogLevel(LogLevel::kDebug);
  else if (n == "info")
    SetMinLogLevel(LogLevel::kInfo);
  else if (n == "warning")
    SetMinLogLevel(LogLevel::kWarning);
  else if (n == "error")
    SetMinLogLevel(LogLevel::kError);
  else
    return false;
  return true;
}

void SetLogSinkForTest(std::function<void(const std::string& line)> sink) {
  absl::MutexLock lock(&State().mu);
  State().sink = std::move(sink);
}

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields,
         absl::string_view message) {
  LogState& s = State();
  absl::MutexLock lock(&s.mu);
  if (level < s.min_level) return;
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   LevelName(level), " ", s.component, " ", event);
  for (const LogField& f : fields) absl::StrAppend(&line, " ", f.first, "=", Quoted(f.second));
  if (!message.empty()) {
    std::string m(message);
    for (char& c : m) c = c == '\n' ? ' ' : c;
    absl::StrAppend(&line, ": ", m);
  }
  if (s.sink) {
    s.sink(line);
    return;
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace augur
