#include "search/ptq/ptq_options.h"

namespace bitsearch {
namespace {

RangeMethod RangeMethodOf(const std::string& name) {
  if (name == "min-max") return RangeMethod::kMinMax;
  if (name == "percentile") return RangeMethod::kPercentile;
  return RangeMethod::kMse;
}

}  // namespace

PtqOptions PtqOptionsFromSpec(const PtqSpec& spec) {
  PtqOptions o;
  o.weight_range = RangeMethodOf(spec.weight_range);
  o.act_range = RangeMethodOf(spec.act_range);
  o.percentile = spec.percentile;
  o.per_channel = spec.per_channel;
  o.cle.enabled = spec.cle;
  o.bias_correction = spec.bias_correction == "empirical"  ? BiasCorrectionMode::kEmpirical
                      : spec.bias_correction == "analytic" ? BiasCorrectionMode::kAnalytic
                                                           : BiasCorrectionMode::kNone;
  o.adaround.enabled = spec.adaround;
  o.adaround.iterations = spec.adaround_iterations;
  return o;
}

}  // namespace bitsearch
