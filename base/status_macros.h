// Early-return helpers for absl::Status / absl::StatusOr (Abseil ships none publicly). Every
// folder uses these; do not define others.
//
// Thread-safety: macros only.
#ifndef BITSEARCH_BASE_STATUS_MACROS_H_
#define BITSEARCH_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BS_CONCAT_INNER_(a, b) a##b
#define BS_CONCAT_(a, b) BS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define BS_RETURN_IF_ERROR(expr)                                        \
  do {                                                                  \
    ::absl::Status BS_CONCAT_(bs_status_, __LINE__) = (expr);           \
    if (!BS_CONCAT_(bs_status_, __LINE__).ok()) {                       \
      return BS_CONCAT_(bs_status_, __LINE__);                          \
    }                                                                   \
  } while (0)

// `lhs = *expr` when `expr` (a StatusOr) is OK; returns its status otherwise. `lhs` may declare
// a variable ("BS_ASSIGN_OR_RETURN(Foo foo, MakeFoo())").
#define BS_ASSIGN_OR_RETURN(lhs, expr) \
  BS_ASSIGN_OR_RETURN_IMPL_(BS_CONCAT_(bs_statusor_, __LINE__), lhs, expr)
#define BS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(*tmp)

#endif  // BITSEARCH_BASE_STATUS_MACROS_H_
