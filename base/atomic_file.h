// Whole-file reads and crash-safe writes, the one implementation every folder uses (profiles,
// tables, results, checkpoints, the server's blobs).
//
// A write goes to a temporary file in the target's folder, is fsynced, renamed over the target,
// and the folder is fsynced, so a reader (or a crash, or a power cut) sees either the old file or
// the new one, never half of one, and a completed write survives.
// Errors name the path and map errno to a status code: no space (ENOSPC, EDQUOT, EFBIG) is
// RESOURCE_EXHAUSTED, EACCES/EPERM PERMISSION_DENIED, ENOENT NOT_FOUND, anything else INTERNAL.
//
// Thread-safety: concurrent writers of one path each leave a complete file; the last rename wins.
// An AtomicFileWriter belongs to one caller.
#ifndef BITSEARCH_BASE_ATOMIC_FILE_H_
#define BITSEARCH_BASE_ATOMIC_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bitsearch {

// A status for the failed `operation` on `path` with errno value `err` (see the mapping above).
absl::Status ErrnoStatus(int err, const std::string& operation, const std::string& path);

// Streams one file to a temporary name; Commit() publishes it, destruction without Commit()
// removes the temporary file.
class AtomicFileWriter {
 public:
  // Creates the temporary file beside `path` (its folder must exist).
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Open(const std::string& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  absl::Status Append(absl::string_view bytes);
  int64_t size() const { return size_; }
  // fsync, rename over the target, fsync the folder. Call at most once.
  absl::Status Commit();

 private:
  AtomicFileWriter(std::string temp_path, std::string path, int fd);

  std::string temp_path_;
  std::string path_;
  int fd_;
  int64_t size_ = 0;
  bool committed_ = false;
};

// The whole file; NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);
// Creates missing parent folders, then writes `contents` through an AtomicFileWriter (mode 0644).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_ATOMIC_FILE_H_
