// Data sets held in memory as tensors: the IDX format (MNIST family; Fashion-MNIST from the
// Debian package dataset-fashion-mnist, gzip-compressed as shipped), the CIFAR-10 binary format,
// and a seeded synthetic set that a small network can learn. Training samples are shuffled with
// the job's seed, limited, and split into train / validation; pixels are normalised with the
// training split's per-channel mean and deviation. Thread-safety: immutable after loading.
#ifndef BITSEARCH_SEARCH_DATA_H_
#define BITSEARCH_SEARCH_DATA_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/spec.h"

namespace bitsearch {

// Where `fashion-mnist` is read from (override: BITSEARCH_FASHION_MNIST_DIR).
std::string FashionMnistDir();

struct Split {
  torch::Tensor x;  // [N, C, H, W] float
  torch::Tensor y;  // [N] int64
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

struct Dataset {
  std::string name;
  Split train, validation, test;
  std::vector<int64_t> input_shape;  // C, H, W
  int64_t classes = 0;
};

// Loads what `spec` names. `model_input_shape`, if given, shapes synthetic samples (an imported
// model's input). Errors carry the file path and what is wrong with it.
absl::StatusOr<Dataset> LoadDataset(const DatasetSpec& spec, uint64_t seed,
                                    const std::vector<int64_t>& model_input_shape = {});

// Raw readers, exposed for tests.
absl::StatusOr<torch::Tensor> ReadIdxImages(const std::string& path);   // [N, 1, H, W] uint8
absl::StatusOr<torch::Tensor> ReadIdxLabels(const std::string& path);   // [N] int64
absl::StatusOr<Split> ReadCifar10Batch(const std::string& path);        // raw 0..255 floats

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_H_
