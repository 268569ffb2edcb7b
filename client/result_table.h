// Renders a result JSON as the table a person reads after a job: per-layer bits and channels,
// then the headline figures and the baselines. Shared by `run` and `result`.
#ifndef BITSEARCH_CLIENT_RESULT_TABLE_H_
#define BITSEARCH_CLIENT_RESULT_TABLE_H_

#include <string>

#include "nlohmann/json.hpp"

namespace bitsearch {

std::string FormatResultTable(const nlohmann::json& result);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_RESULT_TABLE_H_
