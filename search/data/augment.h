// Training-time augmentation of a batch (the usual CIFAR recipe): random crop at the original size
// after zero-padding each side by `crop_padding` pixels, and a left-right mirror of a random half.
// It runs on preprocessed inputs, so the padding is the data's mean (0 after "auto"). The random
// draws are a function of `seed` alone, so a resumed phase sees the same batches.
// Validation and test data are never augmented (trainer.cc applies this in RunPhase only).
// Thread-safety: pure function.
#ifndef BITSEARCH_SEARCH_DATA_AUGMENT_H_
#define BITSEARCH_SEARCH_DATA_AUGMENT_H_

#include <torch/torch.h>

#include "search/dataset_spec.h"

namespace bitsearch {

// `x` is [N, C, H, W] float; returns a new tensor of the same shape (or `x` when nothing is on).
torch::Tensor AugmentBatch(const torch::Tensor& x, const AugmentSpec& spec, uint64_t seed);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_AUGMENT_H_
