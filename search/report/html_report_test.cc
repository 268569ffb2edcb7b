#include "search/report/html_report.h"

#include <gtest/gtest.h>

#include <regex>

#include "search/report/result_chart.h"
#include "search/report/test_util.h"

namespace bitsearch {
namespace {

using nlohmann::json;

std::string Report(const json& r, const ReportContext& c = {}) {
  absl::StatusOr<ResultView> v = ReadResultView(r);
  EXPECT_TRUE(v.ok()) << v.status();
  return RenderHtmlReport(*v, c);
}

TEST(HtmlReportTest, IsSelfContained) {
  std::string html = Report(SampleResult());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  // Nothing is fetched: no scripts, no stylesheets, images or frames from elsewhere, and the only
  // URL is the SVG namespace.
  for (const char* tag : {"<script", "<link", "<img", "<iframe", "@import", "url("}) {
    EXPECT_EQ(html.find(tag), std::string::npos) << tag;
  }
  std::regex url(R"(https?://[^"' <]*)");
  for (std::sregex_iterator it(html.begin(), html.end(), url), e; it != e; ++it) {
    EXPECT_EQ(it->str(), "http://www.w3.org/2000/svg");
  }
}

TEST(HtmlReportTest, HoldsTheFiguresTheSpecTimingsAndPreprocessing) {
  ReportContext c;
  c.source = "bitsearch run examples/lenet5-fashion-mnist.json";
  c.json_file = "lenet5.json";
  c.svg_file = "lenet5.svg";
  c.export_dir = "out/export";
  c.export_files = {{"model.onnx", 123456}, {"quant.json", 2048}};
  std::string html = Report(SampleResult(), c);
  for (const char* s : {"89.78", "88.91", "89.67", "0.681", "137033", "69.2%", "17450",  // headline
                        "<td>conv2</td>", "12 / 16", "<td>w4a4</td>", "391000",          // tables
                        "<td>search</td><td>120.2</td>",                                 // timings
                        "id=\"preprocessing\"", "&quot;fashion-mnist&quot;",              // data set
                        "id=\"spec\"", "&quot;mu&quot;: 0.1",                              // spec as run
                        "<td>model.onnx</td><td>123456</td>", "out/export",               // export
                        "href=\"lenet5.json\"", "href=\"lenet5.svg\"",
                        "3 freebie moves", "reduction vs w8a8", "<dt>searched</dt>"}) {
    EXPECT_NE(html.find(s), std::string::npos) << s;
  }
}

TEST(HtmlReportTest, ProblemsAreShownAndTextIsEscaped) {
  json r = SampleResult();
  r["accuracy"]["final"] = "high";
  r["name"] = "</title><script>alert(1)</script>";
  r["spec"]["name"] = "<b>x</b>";
  std::string html = Report(r);
  EXPECT_NE(html.find("accuracy.final: expected a number in 0..100, got string"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>x</b>"), std::string::npos);
}

// compare_methods: the methods' table and the other method's point on the chart.
TEST(HtmlReportTest, ComparedMethodsGetATableAndAChartPoint) {
  json r = SampleResult();
  json own = {{"method", "bayesian_bits"},
              {"target", nullptr},
              {"accuracy", {{"searched", 90.0}, {"final", r["accuracy"]["final"]}}},
              {"relative_bops_percent", {{"searched", 0.7}, {"final", r["relative_bops_percent"]}}},
              {"latency", {{"searched", 2.0e5}, {"final", r["latency"]["final"]}}},
              {"seconds", 80.0},
              {"layers", json::array({{{"name", "conv1"}, {"weight_bits", 8}, {"act_bits", 8}}})}};
  json other = own;
  other["method"] = "fracbits";
  other["target"] = {{"relative_bops_percent", 0.7}};
  other["accuracy"]["final"] = 88.25;
  other["relative_bops_percent"]["final"] = 0.6931;
  other["layers"][0]["weight_bits"] = 4;
  r["comparison"] = json::array({own, other});
  absl::StatusOr<ResultView> v = ReadResultView(r);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->problems.empty()) << v->problems[0];
  ASSERT_EQ(v->methods.size(), 2u);
  EXPECT_EQ(v->methods[1].target, "0.7% relative BOPs");
  EXPECT_EQ(v->methods[1].bits, "conv1 4/8");
  const std::string html = RenderHtmlReport(*v, {});
  EXPECT_NE(html.find("<h2>Search methods compared</h2>"), std::string::npos);
  EXPECT_NE(html.find("<td>fracbits</td><td>0.7% relative BOPs</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>88.25</td>"), std::string::npos);
  EXPECT_NE(html.find("conv1 4/8"), std::string::npos);
  // The other method is a point of its own on the BOPs chart, named in the legend.
  const std::vector<ChartPoint> points = BopsPoints(*v);
  bool plotted = false;
  for (const ChartPoint& p : points) plotted |= p.kind == "method" && p.label == "fracbits";
  EXPECT_TRUE(plotted);
  EXPECT_NE(RenderResultChart(*v).svg.find("other search methods"), std::string::npos);
  // A malformed row is a problem named by its path, not a crash.
  r["comparison"][1]["accuracy"]["final"] = "high";
  v = ReadResultView(r);
  ASSERT_TRUE(v.ok());
  ASSERT_FALSE(v->problems.empty());
  EXPECT_NE(v->problems[0].find("comparison[1].accuracy.final"), std::string::npos);
}

}  // namespace
}  // namespace bitsearch
