// NumPy's .npy format (versions 1.0, 2.0, 3.0), as numpy.save writes it: a magic string, a Python
// dict literal header ('descr', 'fortran_order', 'shape') and the raw little-endian data.
// Reading checks that the data length matches the header; Fortran-ordered arrays are transposed
// into C order. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_DATA_NPY_H_
#define BITSEARCH_SEARCH_DATA_NPY_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bitsearch {

struct NpyArray {
  std::string descr;           // the header's dtype string, e.g. "<f4", "|u1", "<i8"
  std::vector<int64_t> shape;
  torch::Tensor data;          // C-contiguous, in the matching torch dtype
};

// Parses the bytes of one .npy file. `what` names it in errors ("train_x.npy", "a.npz:x_train").
// Supported dtypes: bool, int8..int64, uint8, uint16..uint64 (as int64 when wider than int8 or
// unsigned beyond uint8), float16/32/64. Big-endian, structured and object arrays are refused.
absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes, const std::string& what);

// Reads and parses a .npy file; NOT_FOUND when it cannot be opened.
absl::StatusOr<NpyArray> ReadNpyFile(const std::string& path);

// The .npy bytes of `t` (uint8, int64, float32 or float16; made contiguous), version 1.0.
std::string NpyBytes(const torch::Tensor& t);
absl::Status WriteNpyFile(const std::string& path, const torch::Tensor& t);

// A human-readable dtype name for errors ("float32", "uint8").
std::string NpyTypeName(const std::string& descr);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_NPY_H_
