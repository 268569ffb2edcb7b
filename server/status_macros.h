// Early-return helpers for absl::Status / absl::StatusOr (Abseil ships none publicly).
//
// Thread-safety: macros only.
#ifndef BITSEARCH_SERVER_STATUS_MACROS_H_
#define BITSEARCH_SERVER_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BS_CONCAT_INNER_(a, b) a##b
#define BS_CONCAT_(a, b) BS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define BS_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::absl::Status bs_status_ = (expr);             \
    if (!bs_status_.ok()) return bs_status_;        \
  } while (0)

// `lhs = *expr` when `expr` (a StatusOr) is OK; returns its status otherwise.
#define BS_ASSIGN_OR_RETURN(lhs, expr) \
  BS_ASSIGN_OR_RETURN_IMPL_(BS_CONCAT_(bs_statusor_, __LINE__), lhs, expr)
#define BS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(*tmp)

#endif  // BITSEARCH_SERVER_STATUS_MACROS_H_
