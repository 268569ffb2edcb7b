#include "search/report/result_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "absl/strings/str_cat.h"
#include "search/report/pareto.h"
#include "search/report/test_util.h"

namespace bitsearch {
namespace {

using nlohmann::json;

ResultView View(const json& r) {
  absl::StatusOr<ResultView> v = ReadResultView(r);
  EXPECT_TRUE(v.ok()) << v.status();
  return *v;
}

// The <circle class="point ..."> elements: label -> (accuracy, cost, pareto).
struct Drawn {
  std::string label;
  double accuracy, cost;
  bool pareto;
};
std::vector<Drawn> DrawnPoints(const std::string& svg, const std::string& group_id) {
  size_t start = svg.find("<g id=\"" + group_id + "\">");
  size_t end = svg.find("</g>", start);
  std::string g = start == std::string::npos ? "" : svg.substr(start, end - start);
  std::regex re(R"re(class="point [a-z0-9]+" data-label="([^"]*)" data-accuracy="([^"]*)" data-cost="([^"]*)" data-pareto="([a-z]+)")re");
  std::vector<Drawn> out;
  for (std::sregex_iterator it(g.begin(), g.end(), re), e; it != e; ++it) {
    out.push_back({(*it)[1], std::stod((*it)[2]), std::stod((*it)[3]), (*it)[4] == "true"});
  }
  return out;
}

TEST(ResultChartTest, NoTwoTextsOverlap) {
  RenderedSvg chart = RenderResultChart(View(SampleResult()));
  EXPECT_GT(chart.text_boxes.size(), 60u);
  EXPECT_TRUE(Overlaps(chart.text_boxes).empty()) << Overlaps(chart.text_boxes)[0];
  EXPECT_EQ(chart.labels_left_out, 0);
}

TEST(ResultChartTest, NoTwoTextsOverlapWhenEveryPointCoincides) {
  // Baselines that land exactly on the final model, long layer names, many layers.
  json r = SampleResult();
  r["accuracy"] = {{"fp32", 90.0}, {"searched", 90.0}, {"final", 90.0}};
  r["latency"]["fp32"] = r["latency"]["searched"] = r["latency"]["final"] = 1000.0;
  r["relative_bops_percent"] = r["relative_bops_percent_searched"] = 100.0;
  r["baselines"] = json::array();
  for (const char* b : {"w8a8", "w4a8", "w4a4", "w2a2"}) {
    r["baselines"].push_back({{"name", b}, {"accuracy", 90.0}, {"relative_bops_percent", 100.0}, {"latency", 1000.0}});
  }
  json layer = r["layers"][0];
  r["layers"] = json::array();
  for (int i = 0; i < 53; ++i) {
    layer["name"] = absl::StrCat("features.", i, ".conv.0.a_very_long_module_path_from_an_onnx_export");
    r["layers"].push_back(layer);
  }
  RenderedSvg chart = RenderResultChart(View(r));
  EXPECT_TRUE(Overlaps(chart.text_boxes).empty()) << Overlaps(chart.text_boxes)[0];
  EXPECT_EQ(chart.labels_left_out, 0);
  // Cut names keep their full text as a tooltip.
  EXPECT_NE(chart.svg.find("<title>features.0.conv.0.a_very_long_module_path_from_an_onnx_export</title>"),
            std::string::npos);
}

TEST(ResultChartTest, PlotsEveryConfigurationWithItsFigures) {
  ResultView v = View(SampleResult());
  RenderedSvg chart = RenderResultChart(v);
  std::vector<Drawn> lat = DrawnPoints(chart.svg, "tradeoff-latency");
  ASSERT_EQ(lat.size(), 5u);  // final, searched, fp32, w8a8, w4a4
  EXPECT_EQ(lat[0].label, "final");
  EXPECT_DOUBLE_EQ(lat[0].accuracy, 89.78);
  EXPECT_DOUBLE_EQ(lat[0].cost, 137033);
  EXPECT_EQ(lat[3].label, "w8a8");
  EXPECT_DOUBLE_EQ(lat[3].cost, 444365);
  std::vector<Drawn> bops = DrawnPoints(chart.svg, "tradeoff-bops");
  ASSERT_EQ(bops.size(), 5u);
  EXPECT_EQ(bops[2].label, "fp32");
  EXPECT_DOUBLE_EQ(bops[2].cost, 100);
  // Each point's label text is on the plot.
  EXPECT_NE(chart.svg.find(">final 89.78%</text>"), std::string::npos);
  EXPECT_NE(chart.svg.find(">w4a4 89.10%</text>"), std::string::npos);
}

TEST(ResultChartTest, ThePathOfTheFrontJoinsTheParetoOptimalPoints) {
  RenderedSvg chart = RenderResultChart(View(SampleResult()));
  std::vector<Drawn> lat = DrawnPoints(chart.svg, "tradeoff-latency");
  std::vector<TradeoffPoint> tp;
  for (const Drawn& d : lat) tp.push_back({d.accuracy, d.cost});
  std::vector<bool> optimal = ParetoOptimal(tp);
  int marked = 0;
  for (size_t i = 0; i < lat.size(); ++i) {
    EXPECT_EQ(lat[i].pareto, optimal[i]) << lat[i].label;
    marked += optimal[i];
  }
  // final (89.78% at 137k cycles) beats searched and w4a4; w8a8 (89.9% at 444k) beats fp32.
  EXPECT_EQ(marked, 2);
  size_t g = chart.svg.find("<g id=\"tradeoff-latency\">");
  size_t line = chart.svg.find("<polyline", g);
  ASSERT_NE(line, std::string::npos);
  EXPECT_LT(line, chart.svg.find("</g>", g));
}

TEST(ResultChartTest, TheCostAxisIsLogarithmicAndTitledWithItsUnit) {
  RenderedSvg chart = RenderResultChart(View(SampleResult()));
  EXPECT_NE(chart.svg.find("latency (cycles, log scale)"), std::string::npos);
  EXPECT_NE(chart.svg.find("relative BOPs (% of the float model&#39;s, log scale)"), std::string::npos);
  EXPECT_NE(chart.svg.find("top-1 accuracy (%)"), std::string::npos);
  // Equal ratios, equal distances.
  Scale s = Scale::Log(1, 1000, 0, 300);
  EXPECT_NEAR(s(10) - s(1), s(1000) - s(100), 1e-9);
  EXPECT_EQ(Scale::Log(1, 1000, 0, 300).Ticks(), std::vector<double>({1, 10, 100, 1000}));
  EXPECT_EQ(Scale::Log(85000, 711000, 0, 300).Ticks(), std::vector<double>({100000, 200000, 500000}));
  EXPECT_EQ(FormatTick(200000), "200k");
  EXPECT_EQ(FormatTick(2500000), "2.5M");
  EXPECT_EQ(FormatTick(0.5), "0.5");
}

TEST(ResultChartTest, PrunedChannelsAndSearchedBitsAreVisiblePerLayer) {
  RenderedSvg chart = RenderResultChart(View(SampleResult()));
  EXPECT_NE(chart.svg.find(">12/16</text>"), std::string::npos);
  EXPECT_NE(chart.svg.find(">41/120</text>"), std::string::npos);
  EXPECT_NE(chart.svg.find("channels kept"), std::string::npos);
  EXPECT_NE(chart.svg.find("latency (cycles)"), std::string::npos);
  json r = SampleResult();
  r["layers"][2]["weight_bits"] = 0;
  EXPECT_NE(RenderResultChart(View(r)).svg.find(">pruned</text>"), std::string::npos);
}

TEST(ResultChartTest, TextFromTheResultIsEscaped) {
  json r = SampleResult();
  r["name"] = "<script>alert(1)</script>";
  r["layers"][0]["name"] = "a\"b<c>&d";
  r["baselines"][0]["name"] = "<img src=x>";
  RenderedSvg chart = RenderResultChart(View(r));
  EXPECT_EQ(chart.svg.find("<script>"), std::string::npos);
  EXPECT_EQ(chart.svg.find("<img"), std::string::npos);
  EXPECT_NE(chart.svg.find("a&quot;b&lt;c&gt;&amp;d"), std::string::npos);
}

TEST(ResultChartTest, AResultWithoutFiguresStillDraws) {
  RenderedSvg chart = RenderResultChart(View(json::object()));
  EXPECT_NE(chart.svg.find("no figures to plot"), std::string::npos);
  EXPECT_EQ(chart.svg.find("tradeoff-latency"), std::string::npos);  // no latency model
  EXPECT_TRUE(Overlaps(chart.text_boxes).empty());
}

TEST(SvgWriterTest, FittedTextStaysWithinItsWidth) {
  EXPECT_EQ(FitText("conv1", 11, 200), "conv1");
  std::string cut = FitText("a_very_long_layer_name_indeed", 11, 60);
  EXPECT_LE(TextWidth(cut, 11), 60);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
  EXPECT_GT(TextWidth("WWW", 10), TextWidth("iii", 10));
}

}  // namespace
}  // namespace bitsearch
