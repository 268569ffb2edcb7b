// The whole pipeline on small data: real learning, the result JSON, and resume after a stop.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>

#include "search/job_checkpoint.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

JobSpec SmallSpec(const std::string& dataset) {
  auto spec = ParseJobSpecText(R"({
    "name": "small", "model": {"zoo": "lenet5"},
    "dataset": {"name": ")" + dataset + R"(", "train_limit": 2400, "test_limit": 500,
                "synthetic_train": 2400, "synthetic_test": 500},
    "pretrain": {"epochs": 2}, "search": {"epochs": 2, "mu": 0.1, "seed": 3},
    "finetune": {"epochs": 1}, "baselines": ["w8a8"], "checkpoint_every": 7})");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

TEST(PipelineTest, FashionMnistSubsetLearnsAndReportsEverything) {
  JobSpec spec = SmallSpec("fashion-mnist");
  RunOptions options;
  options.threads = kTestThreads;
  auto result = RunJob(spec, options, nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& r = *result;
  // 10 classes: chance is 10%. A couple of epochs on 2,160 samples gets far above it.
  EXPECT_GT(r["accuracy"]["fp32"].get<double>(), 60.0);
  EXPECT_GT(r["accuracy"]["final"].get<double>(), 50.0);
  EXPECT_EQ(r["layers"].size(), 4u);
  EXPECT_GT(r["relative_bops_percent"].get<double>(), 0.0);
  EXPECT_LE(r["relative_bops_percent"].get<double>(), 6.25 + 1e-9);  // max_bits 8
  EXPECT_EQ(r["baselines"].size(), 1u);
  EXPECT_NEAR(r["baselines"][0]["relative_bops_percent"].get<double>(), 6.25, 1e-9);
  EXPECT_LT(r["model_size_bytes"]["final"].get<int64_t>(), r["model_size_bytes"]["fp32"].get<int64_t>());
  for (const char* phase : {"pretrain", "search", "finetune", "baseline:w8a8"}) {
    EXPECT_TRUE(r["timings"].contains(phase)) << phase;
  }
}

TEST(PipelineTest, StoppedAndResumedJobEndsWithTheSameResult) {
  JobSpec spec = SmallSpec("synthetic");
  spec.dataset.synthetic_train = 1200;
  spec.dataset.synthetic_test = 300;
  RunOptions options;
  options.threads = kTestThreads;

  auto straight = RunJob(spec, options, nullptr, nullptr);
  ASSERT_TRUE(straight.ok()) << straight.status();

  MemoryCheckpointStore store;
  RecordingObserver stop("search", 5);
  auto stopped = RunJob(spec, options, &stop, &store);
  ASSERT_EQ(stopped.status().code(), absl::StatusCode::kCancelled) << stopped.status();
  auto ckpt = ParseJobCheckpoint(store.latest());
  ASSERT_TRUE(ckpt.ok());
  EXPECT_EQ(ckpt->meta["phase"], "search");

  RecordingObserver never;
  auto resumed = RunJob(spec, options, &never, &store);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_GT(never.resumed_at, 0);
  EXPECT_EQ(never.progressed.count("pretrain"), 0u);  // not run again
  EXPECT_EQ((*resumed)["accuracy"], (*straight)["accuracy"]);
  EXPECT_EQ((*resumed)["layers"], (*straight)["layers"]);
  EXPECT_EQ(BaselinesWithoutTimes(*resumed), BaselinesWithoutTimes(*straight));
}

TEST(PipelineTest, ACheckpointOfAnotherSpecIsRefused) {
  JobSpec spec = SmallSpec("synthetic");
  spec.dataset.synthetic_train = 300;
  spec.dataset.synthetic_test = 50;
  RunOptions options;
  options.threads = kTestThreads;
  MemoryCheckpointStore store;
  RecordingObserver stop("pretrain", 1);
  ASSERT_EQ(RunJob(spec, options, &stop, &store).status().code(), absl::StatusCode::kCancelled);
  spec.search.mu = 0.5;
  auto other = RunJob(spec, options, nullptr, &store);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("different spec"), std::string::npos);
}

}  // namespace
}  // namespace bitsearch

namespace bitsearch {
namespace {

TEST(PipelineTest, CachedPretrainIsReusedWithTheSameResult) {
  JobSpec spec = SmallSpec("synthetic");
  spec.dataset.synthetic_train = 600;
  spec.dataset.synthetic_test = 100;
  spec.pretrain.epochs = 1;
  spec.search.epochs = 1;
  spec.baselines.clear();
  RunOptions options;
  options.threads = kTestThreads;
  options.cache_dir = ::testing::TempDir() + "/bitsearch_cache_" + std::to_string(::getpid());
  RecordingObserver first;
  auto a = RunJob(spec, options, &first, nullptr);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(first.progressed.count("pretrain"), 1u);
  RecordingObserver second;
  auto b = RunJob(spec, options, &second, nullptr);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(second.progressed.count("pretrain"), 0u);  // reused, not trained again
  const std::string reused = "pretrained model reused from " + options.cache_dir;
  EXPECT_EQ(std::count_if(second.logs.begin(), second.logs.end(),
                          [&](const std::string& l) { return l.rfind(reused, 0) == 0; }),
            1);
  EXPECT_EQ((*a)["accuracy"], (*b)["accuracy"]);
  EXPECT_EQ((*a)["layers"], (*b)["layers"]);
  std::filesystem::remove_all(options.cache_dir);
}

}  // namespace
}  // namespace bitsearch
