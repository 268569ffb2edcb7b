// Whole-file reads and crash-safe writes for profiles and tables.
//
// A write goes to a temporary file in the same folder, is flushed, then renamed over the target,
// so a reader (or a crash) sees either the old file or the new one, never half of one.
// Thread-safety: concurrent writers of one path each leave a complete file; the last rename wins.
#ifndef BITSEARCH_LATENCY_MODELS_ATOMIC_FILE_H_
#define BITSEARCH_LATENCY_MODELS_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bitsearch {

// The whole file; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);
// Creates missing parent folders, writes `contents` to a temporary file and renames it to `path`.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_ATOMIC_FILE_H_
