// A PTQ-only job ("search": {"method": "none"} with a "ptq" block): a LeNet-5 pretrained on a
// Fashion-MNIST subset, quantized after training, exported; ONNX Runtime scores the export at the
// accuracy the job reports.
#include "search/methods/post_training/post_training_method.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "search/data/dataset.h"
#include "search/onnx/ort_judge.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

nlohmann::json JobWith(const nlohmann::json& ptq) {
  return {{"name", "ptq-only"},
          {"model", "lenet5"},
          {"dataset", {{"name", "fashion-mnist"}, {"train_limit", 2400}, {"test_limit", 500}}},
          {"pretrain", {{"epochs", 2}}},
          {"search", {{"method", "none"}}},
          {"refine", {{"method", "none"}}},
          {"finetune", {{"epochs", 0}}},
          {"ptq", ptq}};
}

TEST(PostTrainingOnlyTest, QuantizesExportsAndOnnxRuntimeAgrees) {
  auto spec = ParseJobSpec(JobWith({{"weight_bits", 4}, {"act_bits", 8}, {"cle", true},
                                    {"adaround", {{"iterations", 200}}},
                                    {"calibration_samples", 256}}));
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  options.export_dir = ::testing::TempDir() + "/ptq_only_export_" + std::to_string(::getpid());
  RecordingObserver observer;
  auto result = RunJob(*spec, options, &observer, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& r = *result;
  ASSERT_EQ(r["layers"].size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    const auto& l = r["layers"][k];
    EXPECT_EQ(l["weight_bits"], 4) << l.dump();
    EXPECT_EQ(l["act_bits"], 8) << l.dump();
    EXPECT_EQ(l["channels_kept"], l["channels"]) << l.dump();
  }
  EXPECT_NEAR(r["relative_bops_percent"].get<double>(), 3.125, 1e-9);
  const double fp = r["accuracy"]["fp32"].get<double>();
  const double final_top1 = r["accuracy"]["final"].get<double>();
  EXPECT_GT(fp, 60.0);
  EXPECT_GT(final_top1, fp - 5.0) << "W4A8 with AdaRound";
  // AdaRound reported its progress under the search phase, a line per layer.
  EXPECT_TRUE(observer.progressed.count("search"));
  int layer_lines = 0;
  for (const std::string& line : observer.logs) layer_lines += line.find("AdaRound of") != std::string::npos;
  EXPECT_EQ(layer_lines, 4);
  // The result reports what post-training quantization did: CLE's chains, AdaRound per layer.
  const auto& report = r["ptq"];
  ASSERT_TRUE(report.is_object()) << r.dump();
  EXPECT_EQ(report["cle"]["chains"].size(), 3u) << report.dump();
  ASSERT_EQ(report["adaround"].size(), 4u) << report.dump();
  for (const auto& l : report["adaround"]) {
    EXPECT_EQ(l["samples"], 256) << l.dump();
    // A layer whose learned rounding lost keeps nearest rounding (and says so).
    EXPECT_TRUE(l["kept_nearest"].get<bool>() ||
                l["error_adaround"].get<double>() < l["error_nearest"].get<double>())
        << l.dump();
  }
  // The export, judged by ONNX Runtime on the raw test samples, scores the reported accuracy.
  ASSERT_TRUE(r.contains("export")) << r.dump();
  // MSE weight ranges clip weights: the export computes on the grid's integers, and so must the
  // network whose accuracy is reported (a clipped weight once rounded one integer past the top).
  EXPECT_EQ(r["export"]["onnx_agreement_percent"].get<double>(), 100.0) << r["export"].dump();
  auto data = LoadDataset(spec->dataset, spec->search.seed);
  ASSERT_TRUE(data.ok()) << data.status();
  auto ort = JudgeWithOnnxRuntime(options.export_dir + "/model.onnx", data->test_raw_x, data->test.y);
  ASSERT_TRUE(ort.ok()) << ort.status();
  std::cout << "fp32 " << fp << "%, PTQ W4A8 (CLE, AdaRound) " << final_top1
            << "%, ONNX Runtime " << ort->top1_percent << "%, search phase "
            << r["timings"]["search"] << " s\n";
  EXPECT_NEAR(ort->top1_percent, final_top1, 0.41);  // 2 of 500 samples
  std::filesystem::remove_all(options.export_dir);
}

}  // namespace
}  // namespace bitsearch
