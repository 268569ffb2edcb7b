// A file holding a RawData (its tensors as raw bytes behind a small JSON header), so a data set
// that is slow to decode (an image folder) is decoded once per content and read back in one pass.
// Written through base's AtomicFileWriter: a reader sees a whole file or none.
// Thread-safety: pure functions; concurrent writers of one path each leave a whole file.
#ifndef BITSEARCH_SEARCH_DATA_RAW_DATA_CACHE_H_
#define BITSEARCH_SEARCH_DATA_RAW_DATA_CACHE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "search/data/raw_data.h"

namespace bitsearch {

// nullopt when `path` does not exist or is not a complete cache file of this version.
std::optional<RawData> LoadRawDataCache(const std::string& path);

// Writes `data` to `path` (parent folders created).
absl::Status SaveRawDataCache(const std::string& path, const RawData& data);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_RAW_DATA_CACHE_H_
