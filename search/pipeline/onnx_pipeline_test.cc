// A job on an imported ONNX model runs end to end (search, refine, fine-tune) with the model's own
// weights as the FP model, and `export_dir` writes an export that ONNX Runtime scores at the job's
// reported accuracy. An untrained model is flagged as near chance. An ONNX model with unsupported
// operators is refused before any phase starts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "search/data/dataset.h"
#include "search/onnx/onnx_test_util.h"
#include "search/onnx/ort_judge.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  auto path = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".onnx");
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

JobSpec SpecFor(const std::string& onnx_path) {
  auto spec = ParseJobSpec({{"model", {{"onnx", onnx_path}}},
                            {"dataset", {{"name", "synthetic"}, {"synthetic_train", 512}, {"synthetic_test", 256},
                                         {"preprocess", "auto"}}},
                            {"export", {{"include_preprocessing", true}}},
                            {"pretrain", {{"epochs", 1}}},
                            {"search", {{"epochs", 1}, {"batch_size", 64}, {"seed", 3}}},
                            {"finetune", {{"epochs", 1}}},
                            {"baselines", nlohmann::json::array()}});
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

TEST(OnnxPipeline, ImportedModelSearchesAndExports) {
  torch::manual_seed(5);
  auto graph = BuildZooModel("lenet5", {3, 20, 20}, 10, 1.0);  // a 3x20x20 input: synthetic follows it
  ASSERT_TRUE(graph.ok());
  Network net(*graph, NetworkOptions{});
  const std::string path = WriteTemp("lenet_import", GraphToOnnx(*net));
  const std::string dir = (std::filesystem::temp_directory_path() / ("bitsearch_export_" + std::to_string(::getpid()))).string();
  RunOptions options;
  options.threads = kTestThreads;
  options.export_dir = dir;
  RecordingObserver observer;
  auto result = RunJob(SpecFor(path), options, &observer, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  // Pretraining is skipped: the ONNX initializers are the FP model.
  EXPECT_THAT(observer.started, ::testing::Contains("search"));
  ASSERT_TRUE(result->contains("export")) << result->dump();
  const auto& e = (*result)["export"];
  std::cout << "export on the test split: " << e.dump() << "\n";
  EXPECT_EQ(e["checked_samples"].get<int64_t>(), 256);
  EXPECT_GE(e["onnx_agreement_percent"].get<double>(), 99.9);
  EXPECT_GE(e["torchscript_agreement_percent"].get<double>(), 99.9);
  EXPECT_EQ(e["payload_bytes"], e["expected_payload_bytes"]);
  for (const char* f : {"model.onnx", "quant.json", "model.pt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  }
  // The preprocessing is recorded, and the exported model (preprocessing included) scores the
  // reported final accuracy on the raw test samples in ONNX Runtime (one sample of 256 = 0.39).
  const JobSpec spec = SpecFor(path);
  EXPECT_EQ((*result)["preprocessing"]["source"], "auto");
  EXPECT_EQ((*result)["preprocessing"]["in_exported_model"], true);
  auto data = LoadDataset(spec.dataset, spec.search.seed, LoadOptions{{3, 20, 20}, "", 0});
  ASSERT_TRUE(data.ok()) << data.status();
  auto ort = JudgeWithOnnxRuntime(dir + "/model.onnx", data->test_raw_x, data->test.y);
  ASSERT_TRUE(ort.ok()) << ort.status();
  const double reported = (*result)["accuracy"]["final"].get<double>();
  std::cout << "final " << reported << "%, ONNX Runtime " << ort->top1_percent << "%\n";
  EXPECT_NEAR(ort->top1_percent, reported, 0.4);
  // The imported model was never trained: the job says it scored near chance.
  ASSERT_EQ((*result)["warnings"].size(), 1u) << result->dump();
  EXPECT_THAT((*result)["warnings"][0].get<std::string>(), ::testing::HasSubstr("near chance"));
  std::filesystem::remove_all(dir);
  std::filesystem::remove(path);
}

// pretrain.grad_l1 on an imported model: a short gradient-L1 fine-tune of the model's own
// weights before anything else. The untrained import scores near chance; post-training W8A8 of
// the fine-tuned model (no training after it) scores far above, so the fine-tune ran and its
// model is what the later phases got; the result's fp32 stays the model as imported.
TEST(OnnxPipeline, GradL1FineTunesAnImportedModelBeforeQuantization) {
  torch::manual_seed(5);
  auto graph = BuildZooModel("lenet5", {3, 20, 20}, 10, 1.0);
  ASSERT_TRUE(graph.ok());
  Network net(*graph, NetworkOptions{});
  const std::string path = WriteTemp("lenet_import_gl1", GraphToOnnx(*net));
  auto spec = ParseJobSpec({{"model", {{"onnx", path}}},
                            {"dataset", {{"name", "synthetic"}, {"synthetic_train", 512}, {"synthetic_test", 256},
                                         {"preprocess", "auto"}}},
                            {"pretrain", {{"epochs", 2}, {"batch_size", 32}, {"lr", 0.003},
                                          {"grad_l1", {{"lambda_a", 0.01}, {"lambda_w", 0.0001}}}}},
                            {"search", {{"method", "none"}}},
                            {"refine", {{"method", "none"}}},
                            {"finetune", {{"epochs", 0}}},
                            {"ptq", {{"weight_bits", 8}, {"act_bits", 8}}}});
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  RecordingObserver observer;
  auto result = RunJob(*spec, options, &observer, nullptr);
  std::filesystem::remove(path);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(observer.logs, ::testing::Contains(::testing::HasSubstr(
                                 "gradient-L1 training from epoch 1 of 2 (lambda_w 0.0001, lambda_a 0.01), "
                                 "starting from the imported weights")));
  EXPECT_TRUE(observer.progressed.count("pretrain"));
  const double imported = (*result)["accuracy"]["fp32"].get<double>();
  const double quantized = (*result)["accuracy"]["final"].get<double>();
  std::cout << "imported " << imported << "%, W8A8 after the gradient-L1 fine-tune " << quantized << "%\n";
  EXPECT_LT(imported, 25.0);  // untrained: near chance, and said so
  EXPECT_THAT((*result)["warnings"][0].get<std::string>(), ::testing::HasSubstr("near chance"));
  EXPECT_GT(quantized, imported + 30.0);
}

TEST(OnnxPipeline, UnsupportedOperatorsAreRefusedBeforeTraining) {
  OnnxBuilder b;
  auto x = b.Input("x", {-1, 1, 28, 28});
  auto* s = b.Node("Sigmoid", "/act/Sigmoid", {x});
  auto* f = b.Node("Flatten", "/Flatten", {s->output(0)});
  b.Output(f->output(0));
  const std::string path = WriteTemp("unsupported", b.Bytes());
  RecordingObserver observer;
  auto result = RunJob(SpecFor(path), RunOptions{}, &observer, nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), ::testing::HasSubstr("Sigmoid (node /act/Sigmoid)"));
  EXPECT_TRUE(observer.started.empty());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bitsearch
