// Bearer-token files, shared by the server (its token lists), the worker and the CLI (their own
// token): one token per line, surrounding whitespace ignored, blank lines and '#' comments skipped.
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_BASE_TOKEN_FILE_H_
#define BITSEARCH_BASE_TOKEN_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bitsearch {

// Every token in the file; NOT_FOUND when it cannot be read, INVALID_ARGUMENT when it holds none
// or a token contains whitespace.
absl::StatusOr<std::vector<std::string>> ReadTokenFile(const std::string& path);
// The first token of the file (a client's or worker's own token).
absl::StatusOr<std::string> ReadFirstToken(const std::string& path);

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_TOKEN_FILE_H_
