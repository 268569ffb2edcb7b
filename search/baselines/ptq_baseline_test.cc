// Post-training baselines in a whole job: a LeNet-5 pretrained on a Fashion-MNIST subset,
// quantized after training at 8 and 4 bits (catalog names and objects of the spec), reported
// beside the float model with the time each took.
#include "search/baselines/ptq_baseline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "search/catalog.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"
#include "search/pipeline/registry.h"

namespace bitsearch {
namespace {

TEST(PtqBaselineTest, FashionMnistEightBitsWithinOnePointOfFloat) {
  auto spec = ParseJobSpecText(R"({
    "name": "ptq", "model": {"zoo": "lenet5"},
    "dataset": {"name": "fashion-mnist", "train_limit": 2400, "test_limit": 1000},
    "pretrain": {"epochs": 2}, "search": {"epochs": 0, "seed": 3}, "finetune": {"epochs": 0},
    "baselines": ["ptq-w8a8", "ptq-w4a8",
                  {"weight_bits": 8, "act_bits": 8, "range": "min-max", "cle": true,
                   "bias_correction": "empirical"},
                  {"name": "mine", "weight_bits": 4, "act_bits": 8, "adaround": {"iterations": 300},
                   "calibration_samples": 256}]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  RecordingObserver observer;
  auto result = RunJob(*spec, options, &observer, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& r = *result;
  const double fp = r["accuracy"]["fp32"].get<double>();
  EXPECT_GT(fp, 60.0);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& b : r["baselines"]) by_name[b["name"].get<std::string>()] = b;
  ASSERT_EQ(by_name.size(), 4u);
  EXPECT_NEAR(by_name["ptq-w8a8"]["accuracy"].get<double>(), fp, 1.0);
  EXPECT_NEAR(by_name["ptq-w8a8"]["relative_bops_percent"].get<double>(), 6.25, 1e-9);
  // 4-bit weights, 8-bit activations: 32 / 4 x 32 / 8 = 64 times fewer BOPs than float.
  EXPECT_NEAR(by_name["ptq-w4a8"]["relative_bops_percent"].get<double>(), 3.125, 1e-9);
  EXPECT_GT(by_name["ptq-w4a8"]["accuracy"].get<double>(), fp - 10.0);
  EXPECT_TRUE(r["timings"].contains("baseline:ptq-w8a8"));
  // The object forms: a generated name, a given one; each with the seconds it took.
  ASSERT_TRUE(by_name.count("ptq-w8a8-minmax-cle-bc")) << r["baselines"];
  EXPECT_NEAR(by_name["ptq-w8a8-minmax-cle-bc"]["accuracy"].get<double>(), fp, 1.0);
  ASSERT_TRUE(by_name.count("mine"));
  EXPECT_NEAR(by_name["mine"]["relative_bops_percent"].get<double>(), 3.125, 1e-9);
  for (const auto& [name, b] : by_name) EXPECT_GT(b["seconds"].get<double>(), 0.0) << name;
  // Each says what its steps did: LeNet-5's two conv-conv/conv-fc links equalized and every
  // layer's bias corrected; AdaRound keeps its learned rounding only where it reconstructs the
  // layer better than nearest rounding (at 300 iterations it does not everywhere).
  const auto& cle_bc = by_name["ptq-w8a8-minmax-cle-bc"]["ptq"];
  EXPECT_GE(cle_bc["cle"]["chains"].size(), 2u) << cle_bc;
  EXPECT_EQ(cle_bc["bias_correction"]["corrected"].size(), 4u) << cle_bc;
  EXPECT_TRUE(cle_bc["adaround"].is_null()) << cle_bc;
  const auto& rounding = by_name["mine"]["ptq"]["adaround"];
  ASSERT_EQ(rounding.size(), 4u) << by_name["mine"];
  int learned = 0;
  for (const auto& l : rounding) {
    const bool better = l["error_adaround"].get<double>() < l["error_nearest"].get<double>();
    EXPECT_EQ(l["kept_nearest"].get<bool>(), !better) << l;
    learned += better;
    EXPECT_EQ(l["samples"], 256) << l;
  }
  EXPECT_GE(learned, 2) << rounding;
  // AdaRound reports its progress (layers x iterations) and a line per layer.
  EXPECT_TRUE(observer.progressed.count("baseline:mine"));
  // Every post-training baseline starts its phase for the observer, with AdaRound or without.
  for (const auto& [name, b] : by_name) {
    EXPECT_EQ(std::count(observer.started.begin(), observer.started.end(), "baseline:" + name), 1)
        << name;
  }
  int layer_lines = 0;
  for (const std::string& line : observer.logs) {
    layer_lines += line.find("baseline:mine: AdaRound of") != std::string::npos;
  }
  EXPECT_EQ(layer_lines, 4);  // LeNet-5's four layers
  EXPECT_EQ(r["spec"]["baselines"][3]["adaround"]["iterations"], 300);
  std::cout << "fp32 " << fp << "%, ptq-w8a8 " << by_name["ptq-w8a8"]["accuracy"] << "%, ptq-w4a8 "
            << by_name["ptq-w4a8"]["accuracy"] << "%, ptq-w8a8 phase " << r["timings"]["baseline:ptq-w8a8"]
            << "\n";
}

TEST(PtqBaselineTest, NamesAreInTheCatalogAndHaveFactories) {
  for (const char* name : {"ptq-w8a8", "ptq-w4a8", "ptq-w4a8-adaround"}) {
    EXPECT_TRUE(HasStrategy(StrategyKind::kBaseline, name)) << name;
    EXPECT_TRUE(MakeBaseline(name).ok()) << name;
  }
  auto bad = ParseJobSpecText(R"({"name": "x", "model": {"zoo": "lenet5"},
    "dataset": {"name": "synthetic"}, "baselines": ["ptq-w3a8"]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ptq-w3a8"), std::string::npos) << bad.status();
}

}  // namespace
}  // namespace bitsearch
