// Phase 5 (when RunOptions::export_dir is set): the fine-tuned network written for deployment
// (model.onnx, quant.json, model.pt; search/onnx/onnx_export.h), its predictions checked against
// the network's on the test split as the user's data gives it (before preprocessing).
#include "absl/strings/str_cat.h"
#include "search/onnx/onnx_export.h"
#include "search/pipeline/phase.h"

namespace bitsearch {

absl::StatusOr<std::string> RunExport(JobContext& job) {
  if (job.observer) job.observer->OnPhaseStart(kPhaseExport, 0);
  Network net = job.NewFinalNetwork();
  // The exporter reads weights and checks predictions in host memory, whatever trained them.
  net->to(torch::kCPU);
  LoadModule(*net, job.handoff_state);
  net->SetFixed(*job.state.config_final);  // the quantizers' mode is not part of the state
  ExportOptions options;
  options.preprocessing = job.data.preprocessing;
  options.include_preprocessing = job.spec.export_options.include_preprocessing;
  options.check_inputs = job.data.test_raw_x;  // predictions compared on the raw test split
  auto exported = ExportQuantized(*net, job.options.export_dir, options);
  if (!exported.ok()) return exported.status();
  job.state.exported = *exported;
  job.handoff_state.clear();  // the baselines start from the float model
  const std::string line =
      absl::StrCat("exported to ", job.options.export_dir, ": ", exported->ToJson().dump());
  job.Log(line);
  return line;
}

}  // namespace bitsearch
