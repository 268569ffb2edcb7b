// The torch::Device a job runs on, from a user's string ("cpu", "cuda", "cuda:1"), checked
// against what this LibTorch build and machine have, so a wrong flag fails before any work with
// a message that says why (Debian's LibTorch is CPU-only).
// Thread-safety: stateless.
#ifndef BITSEARCH_SEARCH_DEVICE_H_
#define BITSEARCH_SEARCH_DEVICE_H_

#include <torch/torch.h>

#include <string>

#include "absl/status/statusor.h"

namespace bitsearch {

// Errors: INVALID_ARGUMENT naming the string, for anything but "cpu" or an available CUDA device.
absl::StatusOr<torch::Device> ParseDevice(const std::string& text);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DEVICE_H_
