// Uploaded data sets by name (DatasetService): each a content digest and its manifest. The
// chunks themselves are blobs (dataset_manager.h). Part of the server's store (job_store.h).
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef BITSEARCH_SERVER_DATASET_STORE_H_
#define BITSEARCH_SERVER_DATASET_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bitsearch::server {

struct DatasetRecord {
  std::string name;
  std::string digest;         // "sha256:<hex>" of the canonical manifest
  std::string manifest_json;  // the manifest (dataset_manager.cc reads and writes it)
  int64_t size_bytes = 0;
  int64_t files = 0;
  bool single_file = false;
  int64_t created_ms = 0;
};

class DatasetStore {
 public:
  virtual ~DatasetStore() = default;
  // Inserts or replaces the data set of that name (a name points at its latest upload).
  virtual absl::Status PutDataset(const DatasetRecord& dataset) = 0;
  // NOT_FOUND for an unknown name / digest.
  virtual absl::StatusOr<DatasetRecord> GetDatasetByName(const std::string& name) = 0;
  virtual absl::StatusOr<DatasetRecord> GetDatasetByDigest(const std::string& digest) = 0;
  // Without manifests, sorted by name.
  virtual absl::StatusOr<std::vector<DatasetRecord>> ListDatasets() = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_DATASET_STORE_H_
