// Helpers of the report tests: the sample result, and the boxes of a chart's texts.
#ifndef BITSEARCH_SEARCH_REPORT_TEST_UTIL_H_
#define BITSEARCH_SEARCH_REPORT_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "search/report/result_view.h"
#include "search/report/sweep_result.h"
#include "search/report/svg_writer.h"

namespace bitsearch {

// The result JSON of a LeNet-5 job on pulp-xpulpv2 (testdata/lenet5_result.json).
inline nlohmann::json SampleResult() {
  std::ifstream in(std::string(BITSEARCH_REPORT_TESTDATA) + "/lenet5_result.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// The result of a sweep over search.mu with three points made from the sample result (top-1
// and relative BOPs falling with mu) and one failed point.
inline nlohmann::json SampleSweepResult() {
  SweepRecord s;
  s.name = "sample-sweep";
  s.state = "FAILED";
  s.axes = {{"search.mu", {0.01, 0.1, 1.0, 3.0}}};
  s.pretrain_runs = 1;
  const double figures[3][3] = {{89.8, 2.3, 4e5}, {89.5, 0.7, 2e5}, {75.0, 0.2, 1e5}};
  const double mus[4] = {0.01, 0.1, 1.0, 3.0};
  for (int i = 0; i < 4; ++i) {
    nlohmann::json r;
    if (i < 3) {
      r = SampleResult();
      r["accuracy"]["final"] = figures[i][0];
      r["relative_bops_percent"] = figures[i][1];
      r["latency"]["final"] = figures[i][2];
    }
    std::string name = "sample-sweep-mu" + nlohmann::json(mus[i]).dump();
    s.points.push_back({name, "", {{"search.mu", mus[i]}}, i < 3 ? "SUCCEEDED" : "FAILED",
                        i < 3 ? "" : "out of memory", r});
  }
  return BuildSweepResult(s);
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
