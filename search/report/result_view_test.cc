#include "search/report/result_view.h"

#include <gtest/gtest.h>

#include <random>

#include "search/report/html_report.h"
#include "search/report/result_chart.h"
#include "search/report/test_util.h"

namespace bitsearch {
namespace {

using nlohmann::json;

bool HasProblem(const ResultView& v, const std::string& prefix) {
  for (const std::string& p : v.problems) {
    if (p.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(ResultViewTest, ReadsEveryFigureOfAResult) {
  absl::StatusOr<ResultView> v = ReadResultView(SampleResult());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->problems.empty()) << v->problems[0];
  EXPECT_EQ(v->name, "lenet5-fashion-mnist");
  EXPECT_EQ(v->model, "lenet5");
  EXPECT_EQ(v->method, "bayesian-bits (bops prior, mu 0.1) + freebits");
  EXPECT_DOUBLE_EQ(*v->accuracy_final, 89.78);
  EXPECT_DOUBLE_EQ(*v->accuracy_searched, 88.91);
  EXPECT_DOUBLE_EQ(*v->relative_bops_percent, 0.681);
  EXPECT_EQ(v->latency_unit, "cycles");
  EXPECT_EQ(v->latency_profile, "pulp-xpulpv2");
  EXPECT_DOUBLE_EQ(*v->latency_final, 137033.0);
  EXPECT_DOUBLE_EQ(*v->reduction_vs_w8a8, 69.16);
  EXPECT_EQ(*v->size_final_bytes, 17450);
  ASSERT_EQ(v->layers.size(), 5u);
  EXPECT_EQ(v->layers[1].name, "conv2");
  EXPECT_EQ(*v->layers[1].weight_bits, 4);
  EXPECT_EQ(*v->layers[1].searched_weight_bits, 2);
  EXPECT_EQ(*v->layers[1].channels_kept, 12);
  ASSERT_EQ(v->baselines.size(), 2u);
  EXPECT_EQ(v->baselines[1].name, "w4a4");
  EXPECT_DOUBLE_EQ(*v->baselines[1].latency, 391000.0);
  ASSERT_EQ(v->timings.size(), 6u);
  EXPECT_EQ(v->timings[3], (std::pair<std::string, double>("search", 120.25)));  // sorted by phase
  EXPECT_EQ(v->refine_summary, "3 freebie moves; latency 228420 -> 137033 cycles");
  EXPECT_TRUE(v->spec.is_object());
}

TEST(ResultViewTest, SomethingOtherThanAnObjectIsAnError) {
  for (const json& bad : {json(nullptr), json::array({1, 2}), json("89.1"), json(3.5)}) {
    absl::StatusOr<ResultView> v = ReadResultView(bad);
    ASSERT_FALSE(v.ok()) << bad.dump();
    EXPECT_NE(v.status().message().find("not a JSON object"), std::string::npos) << v.status();
  }
}

TEST(ResultViewTest, IllTypedFiguresAreLeftEmptyAndNamed) {
  json r = SampleResult();
  r["accuracy"]["final"] = "89.78";
  r["latency"] = json::array();
  r["layers"][0]["weight_bits"] = 1e300;  // must not be cast to int
  r["layers"][1]["channels"] = -16;
  r["layers"][2]["channels_kept"] = 1000;  // more than its 120 channels
  r["layers"][3] = "fc2";
  r["baselines"][0]["accuracy"] = 250.0;  // not a percentage
  absl::StatusOr<ResultView> v = ReadResultView(r);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->accuracy_final);
  EXPECT_TRUE(HasProblem(*v, "accuracy.final: expected a number in 0..100, got string"));
  EXPECT_FALSE(v->latency_final);
  EXPECT_TRUE(HasProblem(*v, "latency: expected an object, got array"));
  EXPECT_FALSE(v->layers[0].weight_bits);
  EXPECT_TRUE(HasProblem(*v, "layers[0].weight_bits: expected an integer in 0..64"));
  EXPECT_FALSE(v->layers[1].channels);
  EXPECT_TRUE(HasProblem(*v, "layers[1].channels"));
  EXPECT_FALSE(v->layers[2].channels_kept);
  EXPECT_TRUE(HasProblem(*v, "layers[2].channels_kept: 1000 is more than channels (120)"));
  EXPECT_EQ(v->layers.size(), 4u);
  EXPECT_TRUE(HasProblem(*v, "layers[3]: expected an object, got string"));
  EXPECT_FALSE(v->baselines[0].accuracy);
  EXPECT_TRUE(HasProblem(*v, "baselines[0].accuracy"));
  // What could be read still is.
  EXPECT_DOUBLE_EQ(*v->accuracy_fp32, 89.67);
  EXPECT_EQ(*v->layers[0].act_bits, 8);
}

TEST(ResultViewTest, NullMeansAbsentWithoutAProblem) {
  json r = SampleResult();
  r["latency"] = {{"unit", nullptr}, {"final", nullptr}};
  r["layers"][0]["latency"] = nullptr;
  absl::StatusOr<ResultView> v = ReadResultView(r);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->problems.empty()) << v->problems[0];
  EXPECT_FALSE(v->latency_final);
}

TEST(ResultViewTest, PrintableTextCutsAtCharactersAndDefusesTerminalEscapes) {
  EXPECT_EQ(PrintableText("conv\x1b[2Jnext\n"), "conv?[2Jnext?");
  // "é" is two bytes: a cut inside it backs off to the character's start.
  EXPECT_EQ(PrintableText("aé", 2), "a...");
  EXPECT_EQ(PrintableText(std::string(100000, 'x')).size(), kMaxViewString + 3);
}

// A stored result can be anything the server accepted. Replace random nodes of a real result
// with values of every type (fixed seed) and render it every way: nothing may throw.
TEST(ResultViewTest, RenderingNeverThrowsOnMangledResults) {
  const json base = SampleResult();
  const std::vector<json> replacements = {
      json(nullptr), json("x"), json::array({1, "a", nullptr}), json::object({{"k", 1}}), json(-1),
      json(1e308), json(-1e308), json(18446744073709551615ull), json(true), json(0), json(""),
      json::array()};
  std::mt19937 rng(42);
  for (int trial = 0; trial < 1500; ++trial) {
    json r = base;
    json flat = r.flatten();
    std::vector<std::string> paths;
    for (auto it = flat.begin(); it != flat.end(); ++it) paths.push_back(it.key());
    // Also aim at containers: cut a pointer back to one of its parents.
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::string path = paths[rng() % paths.size()];
      int up = static_cast<int>(rng() % 3);
      for (int k = 0; k < up && path.rfind('/') != std::string::npos && path.rfind('/') > 0; ++k) {
        path = path.substr(0, path.rfind('/'));
      }
      try {
        r[json::json_pointer(path)] = replacements[rng() % replacements.size()];
      } catch (const json::exception&) {
        // The path crossed a node an earlier edit replaced; keep what there is.
      }
    }
    ASSERT_NO_THROW({
      absl::StatusOr<ResultView> v = ReadResultView(r);
      if (v.ok()) {
        RenderResultChart(*v);
        RenderHtmlReport(*v, {});
      }
    }) << r.dump();
  }
}

}  // namespace
}  // namespace bitsearch
