// Test helpers: an ONNX model builder over the protobuf classes (python has no onnx here, so the
// tests write their models in C++), and a writer that emits a zoo Graph with a Network's weights
// the way torch.onnx.export lays a model out (Conv/BatchNormalization, Constant-fed Clip, Gemm
// with transB=1, Identity nodes, "/block/Conv"-style names). Thread-safety: none (test code).
#ifndef BITSEARCH_SEARCH_ONNX_ONNX_TEST_UTIL_H_
#define BITSEARCH_SEARCH_ONNX_ONNX_TEST_UTIL_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "search/graph.h"
#include "search/network.h"

namespace bitsearch {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int opset = 13);

  // A float graph input; a dim of -1 becomes the symbolic "batch".
  std::string Input(const std::string& name, const std::vector<int64_t>& dims);
  std::string Initializer(const std::string& name, const torch::Tensor& value);
  // A Constant node holding `value`; returns its output name.
  std::string Constant(const torch::Tensor& value);
  // Adds a node with `outputs` outputs named after it; returns the node for attributes.
  onnx::NodeProto* Node(const std::string& op, const std::string& name,
                        const std::vector<std::string>& inputs, int outputs = 1);
  void Output(const std::string& name);

  onnx::ModelProto& model() { return model_; }
  std::string Bytes() const;

 private:
  onnx::ModelProto model_;
  int constants_ = 0;
};

void SetInt(onnx::NodeProto* node, const std::string& name, int64_t v);
void SetFloat(onnx::NodeProto* node, const std::string& name, float v);
void SetInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& v);

// The graph `net` was built from, with its weights, written as torch.onnx.export would.
std::string GraphToOnnx(NetworkImpl& net, int opset = 13);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_ONNX_TEST_UTIL_H_
