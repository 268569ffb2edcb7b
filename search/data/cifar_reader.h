// The CIFAR-10 binary format: data_batch_1..5.bin and test_batch.bin (in a folder, or in its
// cifar-10-batches-bin subfolder as the archive unpacks). Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_DATA_CIFAR_READER_H_
#define BITSEARCH_SEARCH_DATA_CIFAR_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "search/data/raw_data.h"

namespace bitsearch {

// One batch file: [N, 3, 32, 32] uint8 and its labels.
absl::StatusOr<RawSplit> ReadCifar10Batch(const std::string& path);
absl::StatusOr<RawData> ReadCifar10Folder(const std::string& dir);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_CIFAR_READER_H_
