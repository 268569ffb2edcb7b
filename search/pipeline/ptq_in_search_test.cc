// Post-training steps inside a search job. finetune.method: "adaround+qat" rounds the searched
// weights at the final bits (pruned channels kept), fine-tunes from them, and exports what it
// reports (ONNX Runtime judges the export); "adaround" alone trains nothing, calibrates on
// dataset.calibration when given, and a job stopped at either side of the AdaRound phase resumes
// to the straight run's result. A "ptq": {"cle": true} block equalizes the float model before the
// search and reports it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <vector>

#include "search/data/dataset.h"
#include "search/data/npy.h"
#include "search/job_checkpoint.h"
#include "search/onnx/ort_judge.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

using json = nlohmann::json;

TEST(PtqInSearchTest, AdaRoundThenQatKeepsPrunedChannelsAndExportsWhatItReports) {
  auto spec = ParseJobSpec({{"name", "adaround-qat"},
                            {"model", "lenet5"},
                            {"dataset", {{"name", "fashion-mnist"}, {"train_limit", 2400},
                                         {"test_limit", 500}}},
                            {"pretrain", {{"epochs", 2}}},
                            // 17 search steps: the fixed gate rate of 0.01 keeps most gates
                            // where they start (the default schedule would let mu 1 close them
                            // all in so short a search); this test is about what follows.
                            {"search", {{"epochs", 1}, {"mu", 1.0}, {"gate_lr", 0.01}}},
                            {"finetune", {{"method", "adaround+qat"}, {"epochs", 1},
                                          {"adaround", {{"iterations", 60}}},
                                          {"calibration_samples", 128}}}});
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  options.export_dir = ::testing::TempDir() + "/adaround_qat_export_" + std::to_string(::getpid());
  RecordingObserver observer;
  auto result = RunJob(*spec, options, &observer, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const json& r = *result;
  EXPECT_EQ(observer.ended, (std::vector<std::string>{"pretrain", "range_init", "search", "refine",
                                                      "adaround", "finetune", "export"}));
  EXPECT_TRUE(observer.progressed.count("adaround"));
  ASSERT_EQ(r["finetune"]["method"], "adaround+qat");
  const json& rounding = r["finetune"]["adaround"]["adaround"];
  ASSERT_FALSE(rounding.empty()) << r["finetune"].dump();
  for (const json& l : rounding) {
    // A layer whose learned rounding lost keeps nearest rounding (and says so).
    EXPECT_TRUE(l["kept_nearest"].get<bool>() ||
                l["error_adaround"].get<double>() < l["error_nearest"].get<double>())
        << l.dump();
    EXPECT_EQ(l["samples"], 128) << l.dump();
  }
  ASSERT_TRUE(r["finetune"]["accuracy_after_adaround"].is_number()) << r["finetune"].dump();
  ASSERT_TRUE(r["timings"].contains("adaround"));
  // The searched configuration (bits and pruned channels) is what the rounded network has.
  for (const json& l : r["layers"]) {
    EXPECT_EQ(l["weight_bits"], l["searched_weight_bits"]) << l.dump();  // refinement moves none here
  }
  const double after_rounding = r["finetune"]["accuracy_after_adaround"].get<double>();
  const double final_top1 = r["accuracy"]["final"].get<double>();
  const double searched = r["accuracy"]["searched"].get<double>();
  std::cout << "searched " << searched << "%, after AdaRound " << after_rounding
            << "%, after AdaRound + QAT " << final_top1 << "%, relative BOPs "
            << r["relative_bops_percent"] << "%, AdaRound " << r["timings"]["adaround"] << " s\n";
  EXPECT_GT(after_rounding, searched - 10.0);
  EXPECT_GT(final_top1, 60.0);
  // ONNX Runtime scores the export at the reported accuracy (raw test samples in).
  ASSERT_TRUE(r.contains("export")) << r.dump();
  EXPECT_EQ(r["export"]["onnx_agreement_percent"], 100.0) << r["export"].dump();
  auto data = LoadDataset(spec->dataset, spec->search.seed);
  ASSERT_TRUE(data.ok()) << data.status();
  auto ort = JudgeWithOnnxRuntime(options.export_dir + "/model.onnx", data->test_raw_x, data->test.y);
  ASSERT_TRUE(ort.ok()) << ort.status();
  EXPECT_NEAR(ort->top1_percent, final_top1, 0.41);  // 2 of 500 samples
  std::filesystem::remove_all(options.export_dir);
}

TEST(PtqInSearchTest, AdaRoundAloneTrainsNothingCalibratesOnItsFileAndResumes) {
  // A calibration file of its own: 48 unlabelled samples, fewer than calibration_samples.
  const std::string calibration =
      ::testing::TempDir() + "/adaround_calibration_" + std::to_string(::getpid()) + ".npy";
  ASSERT_TRUE(WriteNpyFile(calibration, torch::rand({48, 1, 28, 28})).ok());
  auto spec = ParseJobSpec({{"name", "adaround"},
                            {"model", "lenet5"},
                            {"dataset", {{"name", "synthetic"}, {"synthetic_train", 600},
                                         {"synthetic_test", 200}, {"calibration", calibration}}},
                            {"pretrain", {{"epochs", 1}}},
                            {"search", {{"epochs", 1}, {"batch_size", 64}, {"seed", 5}}},
                            {"finetune", {{"method", "adaround"}, {"adaround", {{"iterations", 50}}},
                                          {"calibration_samples", 128}}},
                            {"checkpoint_every", 0}});
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  MemoryCheckpointStore store;
  RecordingObserver straight_log;
  auto straight = RunJob(*spec, options, &straight_log, &store);
  ASSERT_TRUE(straight.ok()) << straight.status();
  EXPECT_EQ(straight_log.ended, (std::vector<std::string>{"pretrain", "range_init", "search",
                                                          "refine", "adaround", "finetune"}));
  EXPECT_FALSE(straight_log.progressed.count("finetune"));  // 0 epochs: nothing trained
  EXPECT_TRUE((*straight)["finetune"]["accuracy_after_adaround"].is_null());  // it is the final
  ASSERT_FALSE((*straight)["finetune"]["adaround"]["adaround"].empty());
  for (const json& l : (*straight)["finetune"]["adaround"]["adaround"]) {
    EXPECT_EQ(l["samples"], 48) << l.dump();  // the calibration file's, not the training split's
  }
  // Boundaries after refine (AdaRound next) and after AdaRound (the fine-tune next).
  for (size_t b : {size_t{3}, size_t{4}}) {
    MemoryCheckpointStore resume_store;
    resume_store.resume_from = store.saved.at(b);
    RecordingObserver log;
    auto resumed = RunJob(*spec, options, &log, &resume_store);
    ASSERT_TRUE(resumed.ok()) << resumed.status();
    EXPECT_EQ(log.ended.front(), straight_log.ended[b + 1]);
    EXPECT_EQ((*resumed)["accuracy"], (*straight)["accuracy"]) << b;
    EXPECT_EQ((*resumed)["layers"], (*straight)["layers"]) << b;
    EXPECT_EQ((*resumed)["finetune"]["adaround"]["adaround"].size(),
              (*straight)["finetune"]["adaround"]["adaround"].size()) << b;
  }
  // A job cancelled inside AdaRound stops there (not at the phase's end) and resumes from the
  // boundary before it to the same result.
  MemoryCheckpointStore stop_store;
  RecordingObserver stop("adaround", 1);
  auto stopped = RunJob(*spec, options, &stop, &stop_store);
  ASSERT_EQ(stopped.status().code(), absl::StatusCode::kCancelled) << stopped.status();
  EXPECT_NE(std::string(stopped.status().message()).find("during AdaRound of "),
            std::string::npos) << stopped.status();
  EXPECT_EQ(stop.ended.back(), "refine");
  RecordingObserver after_stop;
  auto resumed = RunJob(*spec, options, &after_stop, &stop_store);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(after_stop.ended.front(), "adaround");
  EXPECT_EQ((*resumed)["accuracy"], (*straight)["accuracy"]);
  EXPECT_EQ((*resumed)["layers"], (*straight)["layers"]);
  std::filesystem::remove(calibration);
}

TEST(PtqInSearchTest, EqualizationBeforeTheSearchIsReported) {
  auto spec = ParseJobSpec({{"name", "cle-warm-start"},
                            {"model", "lenet5"},
                            {"dataset", {{"name", "synthetic"}, {"synthetic_train", 300},
                                         {"synthetic_test", 100}}},
                            {"pretrain", {{"epochs", 1}}},
                            {"search", {{"epochs", 1}, {"batch_size", 64}}},
                            {"finetune", {{"epochs", 0}}},
                            {"ptq", {{"cle", true}, {"calibration_samples", 128}}}});
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  RecordingObserver log;
  auto result = RunJob(*spec, options, &log, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const json& cle = (*result)["ptq"]["cle"];
  ASSERT_TRUE(cle.is_object()) << (*result)["ptq"].dump();
  EXPECT_EQ(cle["chains"], (json{"conv1 -> conv2", "conv2 -> fc1", "fc1 -> fc2"}));
  EXPECT_GE(cle["iterations"].get<int>(), 1);
  EXPECT_TRUE((*result)["ptq"]["adaround"].is_null());
  // Without the block nothing is equalized and the result says so.
  auto plain_spec = *spec;
  plain_spec.ptq = PtqJobSpec{};
  auto plain = RunJob(plain_spec, options, nullptr, nullptr);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE((*plain)["ptq"].is_null());
}

}  // namespace
}  // namespace bitsearch
