// Blobs (uploaded ONNX models, checkpoints, exports) as files under the server's --data-dir,
// referenced from the database by name ("checkpoints/job-1a2b-3.ckpt"). Every write goes through
// base/atomic_file.h, so a crash leaves either the old blob or the new one. Errors name the blob
// relative to the data folder (a client never learns the server's paths); a full disk is
// RESOURCE_EXHAUSTED.
//
// Thread-safety: distinct blob names may be written concurrently; a BlobWriter is one caller's.
#ifndef BITSEARCH_SERVER_BLOB_STORE_H_
#define BITSEARCH_SERVER_BLOB_STORE_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/atomic_file.h"

namespace bitsearch::server {

// Streams one blob (base/atomic_file.h): Commit() publishes it, destruction without Commit()
// removes the temporary file. Errors name the blob, never the server's folders.
class BlobWriter {
 public:
  BlobWriter(std::string name, std::string root, std::unique_ptr<AtomicFileWriter> file)
      : name_(std::move(name)), root_(std::move(root)), file_(std::move(file)) {}

  absl::Status Append(absl::string_view bytes);
  int64_t size() const { return file_->size(); }
  absl::Status Commit();

 private:
  std::string name_;
  std::string root_;
  std::unique_ptr<AtomicFileWriter> file_;
};

class BlobStore {
 public:
  // Creates `root` (and its subfolders) when missing.
  static absl::StatusOr<std::unique_ptr<BlobStore>> Open(const std::string& root);

  // Starts writing blob `name` (relative, no "..").
  absl::StatusOr<std::unique_ptr<BlobWriter>> BeginWrite(const std::string& name);
  absl::Status WriteAtomic(const std::string& name, absl::string_view bytes);
  absl::StatusOr<std::string> Read(const std::string& name) const;
  // Opens the blob for streaming reads (caller fcloses).
  absl::StatusOr<FILE*> OpenForRead(const std::string& name) const;
  // Removes a blob; a missing one is not an error.
  absl::Status Remove(const std::string& name);
  bool Exists(const std::string& name) const;
  std::string PathOf(const std::string& name) const { return root_ + "/" + name; }

 private:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}
  absl::Status CheckName(const std::string& name) const;
  std::string root_;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_BLOB_STORE_H_
