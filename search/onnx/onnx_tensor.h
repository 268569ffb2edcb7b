// Conversions between ONNX TensorProto and LibTorch tensors, and node-attribute lookups, shared by
// the importer, the exporter and the reference evaluator. Only this folder sees the ONNX protobuf
// classes; its public headers (onnx_import.h, onnx_export.h) do not include them.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_ONNX_ONNX_TENSOR_H_
#define BITSEARCH_SEARCH_ONNX_ONNX_TENSOR_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"

namespace bitsearch {

// A tensor's values (float, double, float16, int8, uint8, int32, int64; float types become
// kFloat, integer types kLong except int8/uint8 which keep their type). Errors name the tensor:
// data stored externally, a dims/data size mismatch, an unsupported element type.
absl::StatusOr<torch::Tensor> TensorFromProto(const onnx::TensorProto& t);

// A TensorProto named `name` holding `t` (kFloat, kLong, kChar, kByte) as raw little-endian data.
onnx::TensorProto TensorToProto(const std::string& name, const torch::Tensor& t);

// "[3, 4]" for messages.
std::string ShapeString(const std::vector<int64_t>& dims);
std::string ShapeString(const torch::Tensor& t);

// Node attributes by name, with a default when absent.
const onnx::AttributeProto* FindAttr(const onnx::NodeProto& node, const std::string& name);
int64_t IntAttr(const onnx::NodeProto& node, const std::string& name, int64_t dflt);
double FloatAttr(const onnx::NodeProto& node, const std::string& name, double dflt);
std::vector<int64_t> IntsAttr(const onnx::NodeProto& node, const std::string& name,
                              std::vector<int64_t> dflt);
std::string StringAttr(const onnx::NodeProto& node, const std::string& name,
                       const std::string& dflt);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_ONNX_TENSOR_H_
