// Early-return helpers for absl::Status / absl::StatusOr.
//
// Debian's Abseil (20220623) ships no status macros, so the project keeps its own. They are
// the only macros the codebase defines; everything else is a function.
#ifndef AUGUR_COMMON_STATUS_MACROS_H_
#define AUGUR_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define AUGUR_STATUS_CONCAT_INNER_(a, b) a##b
#define AUGUR_STATUS_CONCAT_(a, b) AUGUR_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) once; returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status augur_status_ = (expr);         \
    if (!augur_status_.ok()) return augur_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, Foo());` evaluates Foo() (an absl::StatusOr<T>) once; on error
// returns its status, otherwise moves the value into the declaration on the left.
#define ASSIGN_OR_RETURN(lhs, expr) \
  AUGUR_ASSIGN_OR_RETURN_IMPL_(AUGUR_STATUS_CONCAT_(augur_statusor_, __LINE__), lhs, expr)

#define AUGUR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

#endif  // AUGUR_COMMON_STATUS_MACROS_H_
