#include "workers/job_memory.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace bitsearch {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

JobSpec Zoo(const std::string& name) {
  JobSpec spec;  // Fashion-MNIST, batch 128
  spec.model.zoo = name;
  return spec;
}

TEST(JobMemoryTest, OrdinaryJobsFitAndHugeOnesAreRefusedWithTheReason) {
  JobSpec lenet = Zoo("lenet5");
  MemoryEstimate small = EstimateJobMemory(lenet, {});
  EXPECT_GT(small.total(), 400 << 20);
  EXPECT_LT(small.total(), 1 * kGiB);
  EXPECT_TRUE(CheckJobMemory(small, 2 * kGiB).ok());

  // The cases: a synthetic 1x2048x2048 data set of 200 samples, and an ONNX model with a
  // 2000x2000 input on its default synthetic data.
  JobSpec big = lenet;
  big.dataset.name = "synthetic";
  big.dataset.input_shape = {1, 2048, 2048};
  big.dataset.synthetic_train = 200;
  big.dataset.synthetic_test = 100;
  MemoryEstimate huge = EstimateJobMemory(big, {});
  EXPECT_GT(huge.total(), 64 * kGiB);
  absl::Status st = CheckJobMemory(huge, 16 * kGiB);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(st.message(), "--max-job-memory")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "at batch 128")) << st;

  JobSpec onnx;
  onnx.model.zoo.clear();
  onnx.model.onnx = "/data/net.onnx";
  onnx.dataset.name = "synthetic";
  ModelFacts facts{{1, 2000, 2000}, 1'000'000};
  EXPECT_FALSE(CheckJobMemory(EstimateJobMemory(onnx, facts), 16 * kGiB).ok());
  ModelFacts mnist{{1, 28, 28}, 60'000};
  EXPECT_TRUE(CheckJobMemory(EstimateJobMemory(onnx, mnist), 2 * kGiB).ok());
}

TEST(JobMemoryTest, GrowsWithBatchWidthAndSamples) {
  JobSpec a = Zoo("lenet5");
  JobSpec b = a;
  b.search.batch_size = 1024;
  EXPECT_GT(EstimateJobMemory(b, {}).activation_bytes, 7 * EstimateJobMemory(a, {}).activation_bytes);
  JobSpec vgg = Zoo("vgg7");
  JobSpec wide = vgg;
  wide.model.width = 4;
  EXPECT_GT(EstimateJobMemory(wide, {}).model_bytes, 15 * EstimateJobMemory(vgg, {}).model_bytes);
  JobSpec few = a;
  few.dataset.train_limit = 1000;
  few.dataset.test_limit = 100;
  EXPECT_LT(EstimateJobMemory(few, {}).data_bytes, EstimateJobMemory(a, {}).data_bytes / 50);
}

TEST(JobMemoryTest, DefaultBudgetIsBelowThisMachinesMemory) {
  int64_t budget = DefaultJobMemoryBudget();
  EXPECT_GT(budget, 100 << 20);
  EXPECT_LT(budget, int64_t{1} << 50);
}

}  // namespace
}  // namespace bitsearch
