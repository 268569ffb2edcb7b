#include "client/compare_table.h"

#include <gtest/gtest.h>

#include "search/report/test_util.h"

namespace bitsearch {
namespace {

using nlohmann::json;

std::vector<CompareEntry> ThreeResults() {
  json a = SampleResult();  // 89.78% at 137033 cycles, 0.681% BOPs
  json b = a;
  b["name"] = "mu-1.0";
  b["accuracy"]["final"] = 88.0;
  b["latency"]["final"] = 100000.0;
  b["relative_bops_percent"] = 0.9;  // cheaper in latency, dearer in BOPs, less accurate
  b["layers"][0]["weight_bits"] = 0;
  json c = a;
  c["name"] = "worse";
  c["accuracy"]["final"] = 85.0;
  c["latency"]["final"] = 200000.0;
  c["relative_bops_percent"] = 1.0;
  return {{"job-a", ViewOf(a)}, {"runs/b.json", ViewOf(b)}, {"job-c", ViewOf(c)}};
}

TEST(CompareTableTest, MarksTheFrontInEachPlane) {
  CompareFronts f = ParetoMarks(ThreeResults());
  EXPECT_EQ(f.latency, (std::vector<std::optional<bool>>{true, true, false}));
  EXPECT_EQ(f.bops, (std::vector<std::optional<bool>>{true, false, false}));
}

TEST(CompareTableTest, LatencyOnDifferentProfilesIsNotCompared) {
  std::vector<CompareEntry> e = ThreeResults();
  e[1].result.latency_profile = "bitserial";
  CompareFronts f = ParetoMarks(e);
  EXPECT_EQ(f.latency, (std::vector<std::optional<bool>>(3)));
  EXPECT_NE(FormatCompareTable(e).find("latency not compared"), std::string::npos);
}

TEST(CompareTableTest, TableHasOneRowPerResultWithItsFigures) {
  std::string t = FormatCompareTable(ThreeResults());
  EXPECT_NE(t.find("job-a"), std::string::npos);
  EXPECT_NE(t.find("runs/b.json"), std::string::npos);
  EXPECT_NE(t.find("89.78"), std::string::npos);
  EXPECT_NE(t.find("137033 cycles"), std::string::npos);
  EXPECT_NE(t.find("17450"), std::string::npos);
  EXPECT_NE(t.find("bayesian-bits (bops prior, mu 0.1) + freebits"), std::string::npos);
  EXPECT_NE(t.find("8/8 4/8 2/4 4/4 8/4"), std::string::npos);
  EXPECT_NE(t.find("0/8 4/8 2/4 4/4 8/4"), std::string::npos);  // b's first layer pruned
  EXPECT_NE(t.find(" LB "), std::string::npos) << t;
  EXPECT_NE(t.find(" L- "), std::string::npos) << t;
  EXPECT_NE(t.find(" -- "), std::string::npos) << t;
}

TEST(CompareTableTest, JsonCarriesTheSameFigures) {
  json j = CompareJson(ThreeResults());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["source"], "job-a");
  EXPECT_EQ(j[0]["accuracy"]["final"], 89.78);
  EXPECT_EQ(j[0]["latency"]["final"], 137033.0);
  EXPECT_EQ(j[0]["latency"]["unit"], "cycles");
  EXPECT_EQ(j[0]["model_size_bytes"], 17450);
  EXPECT_EQ(j[0]["layers"][1]["weight_bits"], 4);
  EXPECT_EQ(j[1]["layers"][0]["weight_bits"], 0);
  EXPECT_EQ(j[0]["pareto"]["latency"], true);
  EXPECT_EQ(j[1]["pareto"]["bops"], false);
  EXPECT_EQ(j[0]["method"], "bayesian-bits (bops prior, mu 0.1) + freebits");
}

TEST(CompareTableTest, MissingFiguresAreNullNotGuessed) {
  json r = SampleResult();
  r.erase("latency");
  r["accuracy"]["final"] = "x";
  std::vector<CompareEntry> e = {{"f.json", ViewOf(r)}};
  json j = CompareJson(e);
  EXPECT_TRUE(j[0]["latency"]["final"].is_null());
  EXPECT_TRUE(j[0]["accuracy"]["final"].is_null());
  EXPECT_TRUE(j[0]["pareto"]["bops"].is_null());
  EXPECT_EQ(j[0]["problems"].size(), 1u);
  EXPECT_NO_THROW(FormatCompareTable(e));
}

}  // namespace
}  // namespace bitsearch
