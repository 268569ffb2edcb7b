// Post-training quantization as a baseline ("ptq-w8a8", "ptq-w4a8", "ptq-w4a8-adaround"): the
// job's folded float model quantized without training (search/ptq/post_training.h) at fixed
// weight and activation bits, from unlabelled calibration samples of the training split. It
// answers "what does plain 8-bit or 4-bit cost" in seconds, beside the trained baselines.
// Thread-safety: see baseline.h.
#ifndef BITSEARCH_SEARCH_BASELINES_PTQ_BASELINE_H_
#define BITSEARCH_SEARCH_BASELINES_PTQ_BASELINE_H_

#include <cstdint>

#include "search/baselines/baseline.h"
#include "search/ptq/ptq_options.h"

namespace bitsearch {

class PtqBaseline : public Baseline {
 public:
  // The white paper's default calibration set: 1,024 samples (fewer when the split is smaller).
  static constexpr int64_t kCalibrationSamples = 1024;

  PtqBaseline(int weight_bits, int act_bits, PtqOptions options,
              int64_t calibration_samples = kCalibrationSamples)
      : weight_bits_(weight_bits),
        act_bits_(act_bits),
        options_(options),
        calibration_samples_(calibration_samples) {}
  // Seconds to minutes, and deterministic: a resumed job runs it again rather than restoring it.
  absl::StatusOr<BaselineOutcome> Run(BaselineContext& context) override;

 private:
  int weight_bits_;
  int act_bits_;
  PtqOptions options_;
  int64_t calibration_samples_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_BASELINES_PTQ_BASELINE_H_
