// TorchScript export of an ExportPlan: a torch::jit::Module whose buffers hold the exported
// (fake-quantized, channel-pruned) weights and whose forward, compiled from generated TorchScript
// source, fake-quantizes activations on the same integer grids as model.onnx. Loadable from Python
// with torch.jit.load and from C++ with torch::jit::load. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_ONNX_TORCHSCRIPT_EXPORT_H_
#define BITSEARCH_SEARCH_ONNX_TORCHSCRIPT_EXPORT_H_

#include <string>

#include "absl/status/status.h"
#include "search/onnx/export_plan.h"

namespace bitsearch {

// The TorchScript source of the plan's forward (exposed for tests and debugging).
std::string TorchScriptSource(const ExportPlan& plan);

// Compiles the module and saves it to `path`.
absl::Status SaveTorchScript(const ExportPlan& plan, const std::string& path);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_TORCHSCRIPT_EXPORT_H_
