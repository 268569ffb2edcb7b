#include "server/test_stores.h"

#include <utility>

#include "base/status_macros.h"

namespace bitsearch::server {

absl::Status OpenTestStores(const std::string& dir, std::unique_ptr<SqliteJobStore>* store,
                            std::unique_ptr<BlobStore>* blobs) {
  BS_ASSIGN_OR_RETURN(*store, SqliteJobStore::Open(dir + "/jobs.db"));
  BS_ASSIGN_OR_RETURN(*blobs, BlobStore::Open(dir + "/data"));
  return absl::OkStatus();
}

}  // namespace bitsearch::server
