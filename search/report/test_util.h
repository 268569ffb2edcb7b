// Helpers of the report tests: the sample result, and the boxes of a chart's texts.
#ifndef BITSEARCH_SEARCH_REPORT_TEST_UTIL_H_
#define BITSEARCH_SEARCH_REPORT_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "search/report/result_view.h"
#include "search/report/svg_writer.h"

namespace bitsearch {

// The result JSON of a LeNet-5 job on pulp-xpulpv2 (testdata/lenet5_result.json).
inline nlohmann::json SampleResult() {
  std::ifstream in(std::string(BITSEARCH_REPORT_TESTDATA) + "/lenet5_result.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// A result JSON read for display (the test's own inputs are always objects).
inline ResultView ViewOf(const nlohmann::json& result) { return *ReadResultView(result); }

// Pairs of boxes that overlap, as "i/j" for a readable failure.
inline std::vector<std::string> Overlaps(const std::vector<Box>& boxes) {
  std::vector<std::string> out;
  for (size_t i = 0; i < boxes.size(); ++i) {
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      if (boxes[i].Intersects(boxes[j])) out.push_back(std::to_string(i) + "/" + std::to_string(j));
    }
  }
  return out;
}

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_TEST_UTIL_H_
