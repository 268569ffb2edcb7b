// Test helper for the cores tested without gRPC (JobManager, DatasetManager): the two stores a
// server keeps in its folder, laid out as the server lays them out (jobs.db, data/).
//
// Thread-safety: test-thread only.
#ifndef BITSEARCH_SERVER_TEST_STORES_H_
#define BITSEARCH_SERVER_TEST_STORES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "server/blob_store.h"
#include "server/sqlite_job_store.h"

namespace bitsearch::server {

// Opens the job store and the blob store in `dir` into *store and *blobs; a second call on the
// same folder reopens what the first wrote (close the old store first, as a restart would).
absl::Status OpenTestStores(const std::string& dir, std::unique_ptr<SqliteJobStore>* store,
                            std::unique_ptr<BlobStore>* blobs);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_TEST_STORES_H_
