#include "client/result_table.h"

#include <gtest/gtest.h>

#include "search/report/test_util.h"

namespace bitsearch {
namespace {

using nlohmann::json;

TEST(ResultTableTest, ShowsLayersHeadlineFiguresAndBaselines) {
  std::string t = FormatResultTable(ViewOf(SampleResult()));
  EXPECT_NE(t.find("conv2"), std::string::npos);
  EXPECT_NE(t.find("12/16"), std::string::npos);
  EXPECT_NE(t.find("accuracy      fp32 89.67%  searched 88.91%  final 89.78%"), std::string::npos) << t;
  EXPECT_NE(t.find("relative BOPs 0.681% (searched 0.702%)"), std::string::npos);
  EXPECT_NE(t.find("1.37e+05  w8a8 4.444e+05"), std::string::npos) << t;
  EXPECT_NE(t.find("(69.2% less than w8a8)"), std::string::npos);
  EXPECT_NE(t.find("baseline w4a4  top-1 89.10%"), std::string::npos);
}

// `bitsearch result` once aborted on a stored result of the wrong shape. The view turns what it
// cannot read into "-" and a named warning.
TEST(ResultTableTest, IllTypedFieldsPrintAsMissingWithAWarning) {
  json r = SampleResult();
  r["accuracy"]["final"] = "89.78";
  r["layers"][1]["weight_bits"] = "four";
  r["baselines"] = 7;
  ResultView v = ViewOf(r);
  std::string t = FormatResultTable(v);
  EXPECT_NE(t.find("final -%"), std::string::npos) << t;
  std::string w = FormatProblems(v);
  EXPECT_NE(w.find("warning: result field accuracy.final: expected a number in 0..100, got string"),
            std::string::npos) << w;
  EXPECT_NE(w.find("layers[1].weight_bits"), std::string::npos);
  EXPECT_NE(w.find("baselines: expected an array, got 7"), std::string::npos);
  EXPECT_EQ(FormatProblems(ViewOf(SampleResult())), "");
}

TEST(ResultTableTest, ManyProblemsAreSummed) {
  json r = SampleResult();
  for (json& l : r["layers"]) l["macs"] = "many";
  std::string w = FormatProblems(ViewOf(r), 2);
  EXPECT_NE(w.find("warning: 3 more fields could not be read"), std::string::npos) << w;
}

TEST(ResultTableTest, SweepTableShowsPointsStatesAndParetoMarks) {
  std::string t = FormatSweepTable(*ReadSweepView(SampleSweepResult()));
  EXPECT_NE(t.find("sample-sweep-mu0.1"), std::string::npos) << t;
  EXPECT_NE(t.find("mu 0.1"), std::string::npos) << t;
  EXPECT_NE(t.find("error: out of memory"), std::string::npos) << t;
  EXPECT_NE(t.find("89.50"), std::string::npos) << t;
  EXPECT_NE(t.find("Float model trained 1 time for the sweep"), std::string::npos) << t;
  // mu 0.1 (89.5%, 0.7%) is on the BOPs front: its row ends with its marks.
  size_t row = t.find("sample-sweep-mu0.1 ");
  ASSERT_NE(row, std::string::npos);
  std::string line = t.substr(row, t.find('\n', row) - row);
  EXPECT_NE(line.find("B"), std::string::npos) << line;
}

}  // namespace
}  // namespace bitsearch
