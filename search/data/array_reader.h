// The "npy" and "npz" data set formats: x and y arrays as a Python user writes them with
// numpy.save / numpy.savez(_compressed). x: uint8, float16, float32 (or float64) samples,
// [N, C, H, W] or [N, H, W, C] (dataset.layout), or [N, H, W] for one channel; y: integer class
// ids 0..K-1, [N] (or [N, 1]). Every problem is an error naming the file and the array.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_DATA_ARRAY_READER_H_
#define BITSEARCH_SEARCH_DATA_ARRAY_READER_H_

#include <torch/torch.h>

#include <string>

#include "absl/status/statusor.h"
#include "search/data/raw_data.h"
#include "search/dataset_spec.h"

namespace bitsearch {

// Reads spec.train and spec.test (files for "npy", array names in spec.path for "npz").
absl::StatusOr<RawData> ReadArrayDataset(const DatasetSpec& spec);

// Reads an .npy file of samples alone (no labels; dataset.calibration): [N, C, H, W] uint8 or
// float32 as the data set's x arrays are read; errors name `field` and the file.
absl::StatusOr<torch::Tensor> ReadSampleFile(const std::string& path, const std::string& layout,
                                             const std::string& field);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_ARRAY_READER_H_
