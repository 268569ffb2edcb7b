// compare_methods on a residual network: one gradient-L1 pretraining shared by Bayesian Bits and
// FracBits, FracBits' target taken from where Bayesian Bits' search landed, and one comparison in
// the result. Small enough for CI (synthetic data, one epoch per phase); accuracy figures of real
// runs are in docs/RESULTS.md.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"
#include "search/spec.h"

namespace bitsearch {
namespace {

nlohmann::json ResNet8Spec() {
  return {{"name", "compare-resnet8"},
          {"model", "resnet8"},
          {"dataset", {{"name", "synthetic"}, {"synthetic_train", 384}, {"synthetic_test", 128}}},
          {"pretrain", {{"epochs", 2}, {"grad_l1", {{"lambda_a", 0.01}, {"start_epoch", 1}}}}},
          {"search", {{"epochs", 1}, {"batch_size", 64}, {"mu", 0.1}}},
          {"refine", {{"method", "none"}}},
          {"finetune", {{"epochs", 1}}},
          {"compare_methods", {"bayesian_bits", "fracbits"}}};
}

int Count(const std::vector<std::string>& v, const std::string& s) {
  int n = 0;
  for (const std::string& x : v) n += x == s;
  return n;
}

bool Logged(const std::vector<std::string>& logs, const std::string& part) {
  for (const std::string& l : logs) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(CompareMethodsTest, ResNet8SharesOnePretrainingAndReportsBothMethods) {
  auto spec = ParseJobSpec(ResNet8Spec());
  ASSERT_TRUE(spec.ok()) << spec.status();
  RecordingObserver observer;
  RunOptions options;
  options.threads = kTestThreads;
  auto result = RunJob(*spec, options, &observer, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const nlohmann::json& r = *result;

  // One pretraining, gradient-L1 from its second epoch; FracBits ran as a phase of its own,
  // starting from that float model.
  EXPECT_EQ(Count(observer.ended, "pretrain"), 1);
  EXPECT_EQ(Count(observer.ended, "compare:fracbits"), 1);
  EXPECT_TRUE(Logged(observer.logs, "gradient-L1 training from epoch 2 of 2"));
  EXPECT_TRUE(Logged(observer.logs, "compare:fracbits/pretrained model taken from the shared"));
  EXPECT_TRUE(Logged(observer.logs, "compare:fracbits/fracbits: rounded"));

  ASSERT_TRUE(r.contains("comparison")) << r.dump();
  const nlohmann::json& rows = r["comparison"];
  ASSERT_EQ(rows.size(), 2u);
  const nlohmann::json& bb = rows[0];
  const nlohmann::json& fb = rows[1];
  EXPECT_EQ(bb["method"], "bayesian_bits");
  EXPECT_EQ(fb["method"], "fracbits");
  // The job's own row is the job's own figures.
  EXPECT_EQ(bb["accuracy"]["final"], r["accuracy"]["final"]);
  EXPECT_EQ(bb["relative_bops_percent"]["final"], r["relative_bops_percent"]);
  EXPECT_TRUE(bb["target"].is_null());
  // FracBits aimed at the relative BOPs Bayesian Bits searched, and its rounding names it.
  const double target = fb["target"]["relative_bops_percent"].get<double>();
  EXPECT_NEAR(target, bb["relative_bops_percent"]["searched"].get<double>(), 1e-9);
  EXPECT_DOUBLE_EQ(fb["search"]["target"].get<double>(), target);
  EXPECT_DOUBLE_EQ(fb["search"]["cost"].get<double>(),
                   fb["relative_bops_percent"]["searched"].get<double>());
  if (fb["search"]["feasible"].get<bool>()) {
    EXPECT_LE(fb["relative_bops_percent"]["searched"].get<double>(), target * 1.01) << fb.dump();
  }
  // Residual network: every conv and the linear layer have bits in both rows.
  ASSERT_EQ(bb["layers"].size(), r["layers"].size());
  ASSERT_EQ(fb["layers"].size(), r["layers"].size());
  for (const nlohmann::json& l : fb["layers"]) {
    const int w = l["searched_weight_bits"].get<int>();
    EXPECT_TRUE(w == 2 || w == 4 || w == 8 || w == 16) << l.dump();
  }
  for (const nlohmann::json& row : rows) {
    EXPECT_GT(row["seconds"].get<double>(), 0) << row.dump();
    EXPECT_GE(row["accuracy"]["final"].get<double>(), 0) << row.dump();
  }
}

TEST(CompareMethodsTest, SpecErrorsNameTheField) {
  nlohmann::json j = ResNet8Spec();
  j["compare_methods"] = {"fracbits"};
  EXPECT_EQ(ParseJobSpec(j).status().message(),
            "compare_methods: name two or more search methods (the job's own among them)");
  j["compare_methods"] = {"bayesian_bits", "hawq"};
  EXPECT_NE(ParseJobSpec(j).status().message().find("compare_methods[1]: unknown value \"hawq\""),
            std::string::npos);
  j["compare_methods"] = {"bayesian_bits", "bayesian_bits"};
  EXPECT_NE(ParseJobSpec(j).status().message().find("compare_methods[1]: \"bayesian_bits\" is named twice"),
            std::string::npos);
  j["compare_methods"] = {"fracbits", "none"};
  EXPECT_NE(ParseJobSpec(j).status().message().find("compare_methods[1]: \"none\" searches nothing"),
            std::string::npos);
  j["compare_methods"] = {"fracbits", "bayesian_bits"};
  j["search"]["method"] = "bayesian_bits";
  EXPECT_TRUE(ParseJobSpec(j).ok());  // any order
  j["search"]["method"] = "none";
  EXPECT_NE(ParseJobSpec(j).status().message().find(
                "compare_methods: must name the job's own search.method \"none\""),
            std::string::npos);
  // The job's own method must be among them; FracBits as the job's own method needs its target.
  j = ResNet8Spec();
  j["search"]["method"] = "fracbits";
  j["compare_methods"] = {"bayesian_bits", "fracbits"};
  EXPECT_NE(ParseJobSpec(j).status().message().find("search.target"), std::string::npos);
  j = ResNet8Spec();
  j["compare_methods"] = "fracbits";
  EXPECT_NE(ParseJobSpec(j).status().message().find("compare_methods: expected an array"),
            std::string::npos);
  // FracBits' fields are accepted when FracBits is compared, and round-trip.
  j = ResNet8Spec();
  j["search"]["kappa"] = 2.0;
  j["search"]["target"] = {{"relative_bops_percent", 3.0}};
  auto spec = ParseJobSpec(j);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(JobSpecToJson(*ParseJobSpec(JobSpecToJson(*spec))), JobSpecToJson(*spec));
  EXPECT_EQ(JobSpecToJson(*spec)["compare_methods"], (nlohmann::json{"bayesian_bits", "fracbits"}));
}

}  // namespace
}  // namespace bitsearch
