// Reads a whole file, gunzipping it when it is gzip-compressed (the Debian Fashion-MNIST files are;
// zlib passes plain files through). Thread-safety: pure function.
#ifndef BITSEARCH_SEARCH_DATA_GZIP_FILE_H_
#define BITSEARCH_SEARCH_DATA_GZIP_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace bitsearch {

// NOT_FOUND for a missing file; DATA_LOSS for corrupt or truncated gzip data (message has the path).
absl::StatusOr<std::string> ReadMaybeGzip(const std::string& path);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_GZIP_FILE_H_
