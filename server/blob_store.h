// Blobs (uploaded ONNX models, checkpoints) as files under the server's --data-dir, referenced
// from the database by name ("checkpoints/job-1a2b-3.ckpt"). Every write goes to a temporary file
// that is fsynced and renamed into place, so a crash leaves either the old blob or the new one.
//
// Thread-safety: distinct blob names may be written concurrently; a BlobWriter is one caller's.
#ifndef BITSEARCH_SERVER_BLOB_STORE_H_
#define BITSEARCH_SERVER_BLOB_STORE_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bitsearch::server {

// Streams one blob to a temporary file; Commit() publishes it, destruction without Commit()
// removes the temporary file.
class BlobWriter {
 public:
  BlobWriter(std::string temp_path, std::string final_path, int fd);
  ~BlobWriter();
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  absl::Status Append(absl::string_view bytes);
  int64_t size() const { return size_; }
  // fsync + rename over the final name.
  absl::Status Commit();

 private:
  std::string temp_path_;
  std::string final_path_;
  int fd_;
  int64_t size_ = 0;
  bool committed_ = false;
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
  std::string PathOf(const std::string& name) const { return root_ + "/" + name; }

 private:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}
  absl::Status CheckName(const std::string& name) const;
  std::string root_;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_BLOB_STORE_H_
