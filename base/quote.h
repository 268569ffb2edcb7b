// Quoting user-supplied values inside error messages: at most a short prefix, so that a hostile
// or mistaken 100 KB field gives a readable one-line error (and one small enough for a gRPC
// status) instead of echoing the whole value.
//
// Thread-safety: pure function.
#ifndef BITSEARCH_BASE_QUOTE_H_
#define BITSEARCH_BASE_QUOTE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace bitsearch {

// "\"value\"" when it is at most `max_bytes` long, else "\"prefix...\" (N bytes)". Control
// characters are shown as '?'; a UTF-8 sequence is never cut in half.
std::string Quoted(absl::string_view value, size_t max_bytes = 48);

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_QUOTE_H_
