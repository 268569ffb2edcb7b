// The IDX format of the MNIST family (Fashion-MNIST from the Debian package dataset-fashion-mnist,
// gzip-compressed as shipped, or plain): train-* and t10k-* image and label files in one folder.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_DATA_IDX_READER_H_
#define BITSEARCH_SEARCH_DATA_IDX_READER_H_

#include <torch/torch.h>

#include <string>

#include "absl/status/statusor.h"
#include "search/data/raw_data.h"

namespace bitsearch {

// Where `fashion-mnist` is read from (override: BITSEARCH_FASHION_MNIST_DIR).
std::string FashionMnistDir();

absl::StatusOr<torch::Tensor> ReadIdxImages(const std::string& path);  // [N, 1, H, W] uint8
absl::StatusOr<torch::Tensor> ReadIdxLabels(const std::string& path);  // [N] int64

// train-images-idx3-ubyte[.gz] and friends in `dir`; `catalog_name` non-empty for the catalog set
// (its missing-folder error then names the Debian package).
absl::StatusOr<RawData> ReadIdxFolder(const std::string& dir, const std::string& catalog_name);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_IDX_READER_H_
