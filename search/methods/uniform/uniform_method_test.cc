// A search method added without touching the pipeline: "uniform" (one folder, one registration
// line below) runs a whole job, export included, with a quantizer kind of its own.
#include "search/methods/uniform/uniform_method.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "search/catalog.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"
#include "search/pipeline/registry.h"

namespace bitsearch {
namespace {

class UniformMethodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The one line a new method needs (here in the test binary, so no shipped binary offers it);
    // once per process, so the tests also pass when one process runs them all.
    static const absl::Status registered =
        RegisterSearchMethod({"uniform", "every layer at max_bits (test only)"}, MakeUniformSearch);
    ASSERT_TRUE(registered.ok()) << registered;
  }
};

TEST_F(UniformMethodTest, RunsTheWholePipelineAndExports) {
  auto spec = ParseJobSpec({{"name", "uniform"},
                            {"model", "lenet5"},
                            {"dataset", {{"name", "synthetic"}, {"synthetic_train", 600}, {"synthetic_test", 200}}},
                            {"pretrain", {{"epochs", 1}}},
                            {"search", {{"method", "uniform"}, {"max_bits", 4}, {"batch_size", 64}}},
                            {"finetune", {{"epochs", 1}}},
                            {"baselines", nlohmann::json::array({"w8a8"})}});
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  options.export_dir = ::testing::TempDir() + "/uniform_export_" + std::to_string(::getpid());
  RecordingObserver observer;
  auto result = RunJob(*spec, options, &observer, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& r = *result;
  EXPECT_EQ(observer.ended, (std::vector<std::string>{"pretrain", "range_init", "search", "refine",
                                                       "finetune", "export", "baseline:w8a8"}));
  ASSERT_EQ(r["layers"].size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    const auto& l = r["layers"][k];
    EXPECT_EQ(l["searched_weight_bits"], 4) << l.dump();
    EXPECT_EQ(l["searched_act_bits"], k == 0 ? 8 : 4) << l.dump();  // the input stays 8-bit
    EXPECT_EQ(l["channels_kept"], l["channels"]) << l.dump();
  }
  // Above chance (10 classes) after a fine-tune at 4 bits: the quantizer trains.
  EXPECT_GT(r["accuracy"]["final"].get<double>(), 30.0) << r["accuracy"].dump();
  // The export reads the new quantizer through the seam and predicts as the network does.
  ASSERT_TRUE(r.contains("export")) << r.dump();
  EXPECT_EQ(r["export"]["checked_samples"], 200);
  EXPECT_GE(r["export"]["onnx_agreement_percent"].get<double>(), 99.5) << r["export"].dump();
  EXPECT_GE(r["export"]["torchscript_agreement_percent"].get<double>(), 99.5) << r["export"].dump();
  EXPECT_EQ(r["export"]["payload_bytes"], r["export"]["expected_payload_bytes"]);
  for (const char* f : {"model.onnx", "quant.json", "model.pt"}) {
    EXPECT_TRUE(std::filesystem::exists(options.export_dir + "/" + f)) << f;
  }
  std::filesystem::remove_all(options.export_dir);
}

TEST_F(UniformMethodTest, RegistrationAddsTheNameToTheCatalog) {
  EXPECT_TRUE(HasStrategy(StrategyKind::kSearchMethod, "uniform"));
  auto spec = ParseJobSpec({{"model", "lenet5"}, {"search", {{"method", "uniform"}}}});
  EXPECT_TRUE(spec.ok()) << spec.status();
  // A second registration of the name is refused.
  EXPECT_EQ(RegisterSearchMethod({"uniform", "again"}, MakeUniformSearch).code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace bitsearch
