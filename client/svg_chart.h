// Pictures of a result for a person: bits per layer (final and searched), latency per layer, and
// accuracy against latency (or relative BOPs where the profile has no latency) for the final
// model, the searched one and the baselines. Plain SVG, written beside the result JSON.
#ifndef BITSEARCH_CLIENT_SVG_CHART_H_
#define BITSEARCH_CLIENT_SVG_CHART_H_

#include <string>

#include "nlohmann/json.hpp"

namespace bitsearch {

std::string ResultSvg(const nlohmann::json& result);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_SVG_CHART_H_
