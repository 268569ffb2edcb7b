// The sample result of the report tests (search/report/testdata), for the client's tests.
#ifndef BITSEARCH_CLIENT_CLIENT_TEST_UTIL_H_
#define BITSEARCH_CLIENT_CLIENT_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"
#include "search/report/result_view.h"

namespace bitsearch {

inline nlohmann::json SampleResultJson() {
  std::ifstream in(std::string(BITSEARCH_REPORT_TESTDATA) + "/lenet5_result.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline ResultView ViewOf(const nlohmann::json& j) { return *ReadResultView(j); }

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_CLIENT_TEST_UTIL_H_
