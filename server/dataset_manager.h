// The server's core for uploaded data sets (DatasetService), tested without gRPC: chunks are
// content-addressed blobs ("datasets/chunks/ab/abcd...") stored only when their SHA-256 matches
// the digest they were sent under; a data set is committed once every chunk of its manifest is
// there, under a name, within the size limit the operator set (--max-dataset-bytes). Jobs name a
// data set by {"ref": NAME}; ResolveDatasetRef() pins it to the digest at submission, so a later upload
// under the same name does not change a queued job's data.
//
// An upload that is never committed leaves chunks no data set refers to: RemoveAbandonedUploads()
// removes those once they have been idle (not uploaded, asked about or downloaded) for the
// operator's --upload-idle-timeout, so an interrupted upload can still resume within it.
//
// Thread-safety: every method may be called from any thread (the store and blobs are); Commit and
// the cleaning exclude each other, so a chunk is never removed under a commit that needs it.
#ifndef BITSEARCH_SERVER_DATASET_MANAGER_H_
#define BITSEARCH_SERVER_DATASET_MANAGER_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "search/dataset_manifest.h"
#include "server/blob_store.h"
#include "server/dataset_store.h"

namespace bitsearch::server {

struct DatasetLimits {
  int64_t max_dataset_bytes = int64_t{4} << 30;  // one data set's files together
  int max_digests_per_call = 10'000;             // FindMissingChunks / DownloadChunks
  int64_t upload_idle_ms = int64_t{24} * 3600 * 1000;  // --upload-idle-timeout; 0 = keep forever
};

// What one RemoveAbandonedUploads() pass removed.
struct AbandonedUploads {
  int64_t chunks = 0;      // chunks no committed data set refers to, idle past the timeout
  int64_t bytes = 0;       // their size
  int64_t temp_files = 0;  // half-written chunks (a write cut off by a crash)
  bool Any() const { return chunks > 0 || temp_files > 0; }
};

// The server's log line for a pass that removed something (`idle_ms` is the timeout).
std::string DescribeAbandonedUploads(const AbandonedUploads& removed, int64_t idle_ms);

class DatasetManager {
 public:
  // All pointers must outlive the manager.
  DatasetManager(DatasetStore* store, BlobStore* blobs, const Clock* clock, DatasetLimits limits);

  const DatasetLimits& limits() const { return limits_; }

  // Client role.
  // The digests among `chunks` the server does not hold (INVALID_ARGUMENT for a malformed one).
  absl::StatusOr<std::vector<std::string>> FindMissingChunks(const std::vector<std::string>& chunks);
  // Stores one chunk after checking that its SHA-256 is `sha256`; DATA_LOSS otherwise (nothing
  // is stored). *already_present says whether it was there before.
  absl::Status PutChunk(const std::string& sha256, absl::string_view data, bool* already_present);
  // Checks the manifest and that every chunk is stored, then names it. FAILED_PRECONDITION for a
  // missing chunk, RESOURCE_EXHAUSTED over the size limit.
  absl::StatusOr<DatasetRecord> Commit(const std::string& name, const DatasetManifest& manifest);
  absl::StatusOr<std::vector<DatasetRecord>> List();

  // Worker role.
  absl::StatusOr<std::pair<DatasetRecord, DatasetManifest>> GetByDigest(const std::string& digest);
  // The chunk for streaming (caller fcloses); NOT_FOUND when it is not stored.
  absl::StatusOr<FILE*> OpenChunk(const std::string& sha256);

  // Removes what uploads that were never committed left behind: every stored chunk that no
  // committed data set's manifest lists and that has been idle for limits().upload_idle_ms
  // (nothing when that is 0), and half-written chunk files idle as long. `at_start` (the server
  // starting, so no upload of this process is in flight) removes every half-written file at once.
  // A manifest that does not parse stops the pass before anything is removed.
  absl::StatusOr<AbandonedUploads> RemoveAbandonedUploads(bool at_start);

  // The manifest as stored in the database, and back.
  static std::string ManifestToJson(const DatasetManifest& m);
  static absl::StatusOr<DatasetManifest> ManifestFromJson(const std::string& json);

 private:
  static std::string ChunkBlob(const std::string& sha256);
  bool HasChunk(const std::string& sha256) const;
  // Marks a stored chunk as in use now (its file's modification time), so that the cleaning
  // leaves an upload that is resuming, or a data set being downloaded, alone.
  void TouchChunk(const std::string& sha256) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;  // Commit, TouchChunk and RemoveAbandonedUploads
  DatasetStore* store_;
  BlobStore* blobs_;
  const Clock* clock_;
  const DatasetLimits limits_;
};

// Job submission ({"ref": NAME}): the digest `name` points at now; when the spec already names a
// digest it must be that one (FAILED_PRECONDITION otherwise); NOT_FOUND for an unknown name.
absl::StatusOr<std::string> ResolveDatasetRef(DatasetStore& store, const std::string& name,
                                              const std::string& digest);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_DATASET_MANAGER_H_
