// Content-addressed data sets, as the service stores them (proto bitsearch/v1/datasets.proto):
// a manifest lists every file of an uploaded folder (or the one uploaded file) with its size,
// SHA-256, and the SHA-256 of each chunk it is cut into; the data set's digest is the SHA-256 of
// the manifest's canonical text, so equal content has one name on every machine.
// Client (builds it), server (validates, digests) and worker (verifies what it downloads) share
// this file. Torch-free. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_DATASET_MANIFEST_H_
#define BITSEARCH_SEARCH_DATASET_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bitsearch {

// Files are cut into chunks of this size (the last one shorter).
inline constexpr int64_t kDatasetChunkBytes = 1 << 20;

struct ManifestFile {
  std::string path;                 // relative, "/"-separated, no "." or ".." parts
  int64_t size = 0;
  std::string sha256;               // of the whole file
  std::vector<std::string> chunks;  // of each chunk, in order
};

struct DatasetManifest {
  std::vector<ManifestFile> files;  // sorted by path, unique
  bool single_file = false;         // uploaded from a file, not a folder
  int64_t TotalBytes() const;
};

// "sha256:<hex>" of the canonical text (one line per file: path, size, digest, chunk digests).
std::string ManifestDigest(const DatasetManifest& m);

// Paths safe and sorted, digests well-formed, chunk counts that fit the sizes. The error names
// the offending file.
absl::Status ValidateManifest(const DatasetManifest& m);

// A data set name: 1 to 128 of [A-Za-z0-9._-], not starting with '.'.
absl::Status ValidateDatasetName(const std::string& name);

// Where one chunk of a local file lies (the client reads it back to upload it).
struct LocalChunk {
  std::string sha256;
  std::string file;  // local path
  int64_t offset = 0;
  int64_t size = 0;
};

// The manifest of a local file or folder (hidden files and folders skipped, symbolic links
// followed), hashing everything; `chunks` receives where each chunk lies.
absl::StatusOr<DatasetManifest> BuildManifest(const std::string& path, std::vector<LocalChunk>* chunks);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATASET_MANIFEST_H_
