#include "search/report/sweep_result.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/report/sweep_report.h"
#include "search/report/test_util.h"

namespace bitsearch {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// A point's result: the sample result with its headline figures replaced.
json PointResult(double accuracy, double bops, double latency, const std::string& profile = "pulp-xpulpv2",
                 bool with_baselines = false) {
  json r = SampleResult();
  r["accuracy"] = {{"fp32", 90.0}, {"searched", accuracy}, {"final", accuracy}};
  r["relative_bops_percent"] = bops;
  r["latency"]["final"] = latency;
  r["latency"]["fp32"] = 1e6;
  r["latency"]["profile"] = profile;
  r["baselines"] = json::array();
  if (with_baselines) {
    r["baselines"].push_back({{"name", "w8a8"}, {"accuracy", 89.9}, {"relative_bops_percent", 6.25}, {"latency", 3e5}});
    r["baselines"].push_back({{"name", "w2a2"}, {"accuracy", 80.0}, {"relative_bops_percent", 0.9}, {"latency", 9e5}});
  }
  return r;
}

SweepPointRecord Point(const std::string& name, double mu, json result, const std::string& state = "SUCCEEDED") {
  return {name, "job-" + name, {{"search.mu", mu}}, state, state == "FAILED" ? "boom" : "", std::move(result)};
}

// A sweep over mu: 0.01 accurate and costly, 0.1 in between, 1.0 cheap and worst, 0.3 dominated
// by 0.1 (less accurate and costlier), one failed point.
SweepRecord MuSweep() {
  SweepRecord s;
  s.name = "fm";
  s.state = "FAILED";
  s.axes = {{"search.mu", {0.01, 0.1, 0.3, 1.0, 3.0}}};
  s.pretrain_runs = 1;
  s.points.push_back(Point("fm-mu0.01", 0.01, PointResult(89.8, 2.3, 4e5, "pulp-xpulpv2", true)));
  s.points.push_back(Point("fm-mu0.1", 0.1, PointResult(89.5, 0.7, 2e5)));
  s.points.push_back(Point("fm-mu0.3", 0.3, PointResult(88.0, 0.8, 2.5e5)));
  s.points.push_back(Point("fm-mu1.0", 1.0, PointResult(75.0, 0.2, 1e5)));
  s.points.push_back(Point("fm-mu3.0", 3.0, json(), "FAILED"));
  return s;
}

TEST(SweepResultTest, PointsCarryTheirSettingsFiguresAndParetoMarks) {
  json r = BuildSweepResult(MuSweep());
  ASSERT_EQ(r["points"].size(), 5u);
  const json& p01 = r["points"][1];
  EXPECT_EQ(p01["name"], "fm-mu0.1");
  EXPECT_EQ(p01["job"], "job-fm-mu0.1");
  EXPECT_EQ(p01["settings"], json({{"search.mu", 0.1}}));
  EXPECT_EQ(p01["label"], "mu 0.1");
  EXPECT_DOUBLE_EQ(p01["accuracy"].get<double>(), 89.5);
  EXPECT_DOUBLE_EQ(p01["relative_bops_percent"].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(p01["latency"].get<double>(), 2e5);
  EXPECT_EQ(p01["profile"], "pulp-xpulpv2");
  std::vector<bool> pareto;
  for (const json& p : r["points"]) pareto.push_back(p["pareto"].get<bool>());
  EXPECT_EQ(pareto, (std::vector<bool>{true, true, false, true, false}));
  EXPECT_FALSE(r["points"][2]["pareto_bops"].get<bool>());
  EXPECT_FALSE(r["points"][2]["pareto_latency"].get<bool>());
  // The failed point is listed with its reason and without figures.
  EXPECT_EQ(r["points"][4]["state"], "FAILED");
  EXPECT_EQ(r["points"][4]["error"], "boom");
  EXPECT_FALSE(r["points"][4].contains("accuracy"));
  EXPECT_EQ(r["sweep"]["states"], json({{"FAILED", 1}, {"SUCCEEDED", 4}}));
  EXPECT_EQ(r["pretraining"]["runs"], 1);
}

TEST(SweepResultTest, BaselinesAndTheFloatModelShareTheAxes) {
  json r = BuildSweepResult(MuSweep());
  ASSERT_EQ(r["baselines"].size(), 2u);
  EXPECT_EQ(r["baselines"][0]["label"], "w8a8");
  EXPECT_EQ(r["baselines"][0]["from"], "fm-mu0.01");
  // w8a8 (89.9%, 3e5 cycles) beats mu 0.01 (89.8%, 4e5) on latency; on BOPs both are optimal
  // (w8a8 is the more accurate, mu 0.01 the cheaper).
  EXPECT_TRUE(r["baselines"][0]["pareto_latency"].get<bool>());
  EXPECT_TRUE(r["baselines"][0]["pareto_bops"].get<bool>());
  EXPECT_FALSE(r["points"][0]["pareto_latency"].get<bool>());
  EXPECT_TRUE(r["points"][0]["pareto_bops"].get<bool>());
  // w2a2 (80%, 0.9% BOPs, 9e5 cycles) is dominated everywhere (by mu 0.1 and w8a8).
  EXPECT_FALSE(r["baselines"][1]["pareto_latency"].get<bool>());
  EXPECT_FALSE(r["baselines"][1]["pareto_bops"].get<bool>());
  // Every point trained from the same float model: listed once.
  ASSERT_EQ(r["fp32"].size(), 1u);
  EXPECT_DOUBLE_EQ(r["fp32"][0]["accuracy"].get<double>(), 90.0);
  EXPECT_TRUE(r["fp32"][0]["pareto_bops"].get<bool>());
  // The fronts in increasing cost.
  EXPECT_EQ(r["front"]["bops"], json({"mu 1.0", "mu 0.1", "mu 0.01", "w8a8", "fp32"}));
  EXPECT_EQ(r["front"]["latency"]["pulp-xpulpv2"], json({"mu 1.0", "mu 0.1", "w8a8", "fp32"}));
}

TEST(SweepResultTest, LatencyIsComparedOnlyWithinAProfile) {
  SweepRecord s;
  s.name = "p";
  s.axes = {{"hardware.profile", {"pulp-xpulpv2", "bitserial"}}};
  // The bitserial point has more "latency" in its own unit but must not be judged against
  // xpulpv2 cycles.
  s.points.push_back({"p-a", "", {{"hardware.profile", "pulp-xpulpv2"}}, "SUCCEEDED", "", PointResult(89, 1.0, 100)});
  s.points.push_back({"p-b", "", {{"hardware.profile", "bitserial"}}, "SUCCEEDED", "", PointResult(88, 1.0, 1e5, "bitserial")});
  json r = BuildSweepResult(s);
  EXPECT_TRUE(r["points"][0]["pareto_latency"].get<bool>());
  EXPECT_TRUE(r["points"][1]["pareto_latency"].get<bool>());
  EXPECT_FALSE(r["points"][1]["pareto_bops"].get<bool>());  // same BOPs, less accurate
  EXPECT_EQ(r["points"][1]["label"], "bitserial");
  EXPECT_EQ(r["fp32"].size(), 2u);  // one per profile
  auto view = ReadSweepView(r);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->profiles, (std::vector<std::string>{"pulp-xpulpv2", "bitserial"}));
}

TEST(SweepResultTest, StateFollowsThePoints) {
  EXPECT_EQ(SweepStateOf({"QUEUED", "QUEUED"}, false), "QUEUED");
  EXPECT_EQ(SweepStateOf({"SUCCEEDED", "QUEUED"}, false), "RUNNING");
  EXPECT_EQ(SweepStateOf({"RUNNING", "QUEUED"}, false), "RUNNING");
  EXPECT_EQ(SweepStateOf({"SUCCEEDED", "SUCCEEDED"}, false), "SUCCEEDED");
  EXPECT_EQ(SweepStateOf({"SUCCEEDED", "FAILED"}, false), "FAILED");
  EXPECT_EQ(SweepStateOf({"CANCELLED", "SUCCEEDED"}, true), "CANCELLED");
  EXPECT_EQ(SweepStateOf({"CANCELLED", "RUNNING"}, true), "RUNNING");  // until the worker stops
}

TEST(SweepResultTest, ViewReadsWhatBuildWroteAndNamesWhatItCannotRead) {
  json r = BuildSweepResult(MuSweep());
  auto v = ReadSweepView(r);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->problems.empty()) << v->problems[0];
  EXPECT_EQ(v->name, "fm");
  EXPECT_EQ(v->points.size(), 5u);
  EXPECT_TRUE(v->points[1].pareto);
  EXPECT_EQ(v->pretrain_runs, 1);
  EXPECT_TRUE(IsSweepResult(r));
  EXPECT_FALSE(IsSweepResult(SampleResult()));
  r["points"][1]["accuracy"] = "high";
  r["points"][2] = 7;
  v = ReadSweepView(r);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->points[1].accuracy.has_value());
  EXPECT_THAT(v->problems, ::testing::Contains(HasSubstr("points[1].accuracy: expected a number")));
  EXPECT_THAT(v->problems, ::testing::Contains(HasSubstr("points[2]: expected an object")));
  EXPECT_FALSE(ReadSweepView(json::array()).ok());
}

TEST(SweepReportTest, ChartPlotsEveryPointWithoutOverlappingTexts) {
  SweepView v = *ReadSweepView(BuildSweepResult(MuSweep()));
  RenderedSvg chart = RenderSweepChart(v);
  EXPECT_TRUE(Overlaps(chart.text_boxes).empty()) << Overlaps(chart.text_boxes)[0];
  EXPECT_EQ(chart.labels_left_out, 0);
  for (const char* label : {"mu 0.01", "mu 0.1", "mu 0.3", "mu 1.0", "w8a8", "w2a2", "fp32"}) {
    EXPECT_THAT(chart.svg, HasSubstr(absl::StrCat("data-label=\"", label, "\""))) << label;
  }
  EXPECT_THAT(chart.svg, HasSubstr("id=\"sweep-latency-0\""));
  EXPECT_THAT(chart.svg, HasSubstr("id=\"sweep-bops\""));
  EXPECT_THAT(chart.svg, HasSubstr("Top-1 accuracy vs latency on pulp-xpulpv2"));
}

TEST(SweepReportTest, HtmlEscapesNamesAndErrorsAndLinksPoints) {
  SweepRecord s = MuSweep();
  s.name = "<script>alert(1)</script>";
  s.points[4].error = "<img src=x onerror=alert(2)>";
  s.points[0].name = "a\"b<c>";
  SweepView v = *ReadSweepView(BuildSweepResult(s));
  SweepReportContext c;
  c.source = "bitsearch run <x>.json";
  c.point_links["fm-mu0.1"] = "fm/fm-mu0.1.html";
  c.json_file = "fm<1>.json";  // no svg_file: the chart was not written, so no link to it
  std::string html = RenderSweepHtml(v, c);
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("a&quot;b&lt;c&gt;"));
  EXPECT_THAT(html, HasSubstr("<a href=\"fm/fm-mu0.1.html\">fm-mu0.1</a>"));
  EXPECT_THAT(html, HasSubstr("<p>Files: <a href=\"fm&lt;1&gt;.json\">fm&lt;1&gt;.json</a> (sweep result "
                              "JSON) </p>"));
  EXPECT_THAT(html, HasSubstr("trained 1 time for the whole sweep"));
  EXPECT_THAT(html, HasSubstr("id=\"sweep-points\""));
  EXPECT_THAT(html, HasSubstr("id=\"sweep-baselines\""));
}

}  // namespace
}  // namespace bitsearch
