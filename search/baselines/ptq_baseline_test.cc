// Post-training baselines in a whole job: a LeNet-5 pretrained on a Fashion-MNIST subset,
// quantized after training at 8 and 4 bits, reported beside the float model.
#include "search/baselines/ptq_baseline.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>

#include "search/catalog.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/registry.h"

namespace bitsearch {
namespace {

TEST(PtqBaselineTest, FashionMnistEightBitsWithinOnePointOfFloat) {
  auto spec = ParseJobSpecText(R"({
    "name": "ptq", "model": {"zoo": "lenet5"},
    "dataset": {"name": "fashion-mnist", "train_limit": 2400, "test_limit": 1000},
    "pretrain": {"epochs": 2}, "search": {"epochs": 0, "seed": 3}, "finetune": {"epochs": 0},
    "baselines": ["ptq-w8a8", "ptq-w4a8"]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = 2;
  auto result = RunJob(*spec, options, nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& r = *result;
  const double fp = r["accuracy"]["fp32"].get<double>();
  EXPECT_GT(fp, 60.0);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& b : r["baselines"]) by_name[b["name"].get<std::string>()] = b;
  ASSERT_EQ(by_name.size(), 2u);
  EXPECT_NEAR(by_name["ptq-w8a8"]["accuracy"].get<double>(), fp, 1.0);
  EXPECT_NEAR(by_name["ptq-w8a8"]["relative_bops_percent"].get<double>(), 6.25, 1e-9);
  // 4-bit weights, 8-bit activations: 32 / 4 x 32 / 8 = 64 times fewer BOPs than float.
  EXPECT_NEAR(by_name["ptq-w4a8"]["relative_bops_percent"].get<double>(), 3.125, 1e-9);
  EXPECT_GT(by_name["ptq-w4a8"]["accuracy"].get<double>(), fp - 10.0);
  EXPECT_TRUE(r["timings"].contains("baseline:ptq-w8a8"));
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
