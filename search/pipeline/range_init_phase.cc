// Phase 2: range initialisation. The folded float network with the search method's quantizers,
// equalized first when the spec's "ptq" block asks for CLE before a search (cross-layer
// equalization and high-bias absorption, a warm start that evens out per-channel weight ranges
// before the search picks per-tensor grids), then each weight quantizer's range from its weights
// and each activation quantizer's from one training batch pushed through.
#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "search/pipeline/phase.h"
#include "search/ptq/cle.h"
#include "search/ptq/layer_stats.h"
#include "search/ptq/post_training.h"

namespace bitsearch {
namespace {

// Equalizes `net` in place (quantizers off), with the statistics high-bias absorption needs
// measured on `calibration`, and returns the report for the result's "ptq".
nlohmann::json EqualizeBeforeSearch(Network& net, const torch::Tensor& calibration) {
  const auto start = std::chrono::steady_clock::now();
  net->SetQuantMode(QuantMode::kBypass);
  net->eval();
  CleOptions options;
  options.enabled = true;
  LayerStats stats = MeasureLayerStats(*net, calibration, /*batch_size=*/128);
  CleResult cle = EqualizeCrossLayer(net, options, &stats);
  net = cle.network;
  PtqReport report;
  report.cle = std::move(cle.report);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return PtqReportToJson(report);
}

}  // namespace

absl::StatusOr<std::string> RunRangeInit(JobContext& job) {
  if (job.observer) job.observer->OnPhaseStart(kPhaseRangeInit, 0);
  Network net = job.NewNetwork();
  // The float weights: the other quantizer kinds find no state of theirs in them and start
  // from their defaults, which the calibration below then sets.
  LoadMatchingState(*net, job.fp_state);
  std::string summary;
  if (job.spec.ptq.steps.cle && job.spec.search.method != "none") {
    job.state.ptq_report =
        EqualizeBeforeSearch(net, CalibrationSamples(job.data, job.spec.ptq.steps.calibration_samples));
    summary = absl::StrCat("equalized ", job.state.ptq_report["cle"]["chains"].size(),
                           " layer chains; ");
  }
  const int64_t batch = job.spec.search.batch_size;
  net->InitRanges(job.data.train.x.slice(0, 0, batch));
  job.handoff_state = SerializeModule(*net);
  return absl::StrCat(summary, "ranges from ", std::min(batch, job.data.train.size()),
                      " training samples");
}

}  // namespace bitsearch
