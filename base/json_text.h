// JSON text from a user or a file parsed with a clear error instead of an exception. Header-only,
// so that bitsearch::base needs no JSON library: the folders that include it link nlohmann_json.
//
// Thread-safety: pure function.
#ifndef BITSEARCH_BASE_JSON_TEXT_H_
#define BITSEARCH_BASE_JSON_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

// `text` parsed; else InvalidArgument "`what` is not valid JSON: ..." with the parser's message,
// which carries the byte offset of the syntax error.
inline absl::StatusOr<nlohmann::json> ParseJsonText(const std::string& text, const char* what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON: ", e.what()));
  }
}

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_JSON_TEXT_H_
