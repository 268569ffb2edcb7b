// An uploaded data set on this worker: downloaded once by digest from the server's
// DatasetService, every chunk, file and the manifest itself checked against their SHA-256, and
// kept under <data-dir>/datasets/<hex>/ for later jobs (a folder appears there only once all of it
// verified: a mismatch is an error and nothing is cached).
//
// Thread-safety: one Fetch at a time per fetcher (a worker runs one job at a time); several
// workers may share a data dir (the folder is published with an atomic rename).
#ifndef BITSEARCH_WORKERS_DATASET_FETCHER_H_
#define BITSEARCH_WORKERS_DATASET_FETCHER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bitsearch/v1/datasets.grpc.pb.h"

namespace bitsearch {

struct FetchedDataset {
  std::string dir;          // the data set's files, as uploaded
  std::string single_file;  // its one file's name when a file (not a folder) was uploaded
  bool downloaded = false;  // false: it came from the cache
};

class DatasetFetcher {
 public:
  DatasetFetcher(std::shared_ptr<grpc::Channel> channel, std::string token, std::string data_dir);

  // The local copy of data set `digest` ("sha256:<hex>"; `name` is for messages), downloading it
  // when this worker has none. DATA_LOSS when anything does not match its digest.
  absl::StatusOr<FetchedDataset> Fetch(const std::string& name, const std::string& digest);

 private:
  absl::StatusOr<FetchedDataset> Download(const std::string& name, const std::string& digest,
                                          const std::string& final_dir);

  std::unique_ptr<bitsearch::v1::DatasetService::Stub> stub_;
  std::string token_;
  std::string data_dir_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_WORKERS_DATASET_FETCHER_H_
