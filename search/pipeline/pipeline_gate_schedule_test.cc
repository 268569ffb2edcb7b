// The gate schedule through whole jobs: with the default (relative) gate rate a one-epoch search
// of a dozen steps answers mu, while the fixed rate of 0.01 (still reachable through
// search.gate_lr) moves no gate in so few steps, whatever mu is.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

// 720 training samples after the validation split, batch 64: 12 search steps.
nlohmann::json ShortJob(double mu, std::optional<double> gate_lr) {
  nlohmann::json search = {{"epochs", 1}, {"batch_size", 64}, {"seed", 2}, {"mu", mu}};
  if (gate_lr) search["gate_lr"] = *gate_lr;
  return {{"name", "short"},
          {"model", "lenet5"},
          {"dataset", {{"name", "synthetic"}, {"synthetic_train", 800}, {"synthetic_test", 200}}},
          {"pretrain", {{"epochs", 1}}},
          {"search", search},
          {"refine", {{"method", "none"}}},
          {"finetune", {{"epochs", 0}}},
          {"checkpoint_every", 0}};
}

TEST(PipelineGateScheduleTest, AShortSearchAnswersMuWithTheDefaultSchedule) {
  // The four jobs share one pretraining (the cache is keyed by model, data, pretrain, seed).
  const std::string cache = ::testing::TempDir() + "/bitsearch_gate_schedule_cache";
  std::filesystem::remove_all(cache);
  RunOptions options;
  options.threads = kTestThreads;
  options.cache_dir = cache;
  auto bops = [&](double mu, std::optional<double> gate_lr) -> double {
    auto spec = ParseJobSpec(ShortJob(mu, gate_lr));
    EXPECT_TRUE(spec.ok()) << spec.status();
    if (!spec.ok()) return -1;
    RecordingObserver log;
    auto result = RunJob(*spec, options, &log, nullptr);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return -1;
    bool described = false;
    for (const std::string& line : log.logs) {
      if (line.find("gate learning rate") != std::string::npos) described = true;
    }
    EXPECT_TRUE(described) << "the search logs the gate rate it uses";
    const double b = (*result)["relative_bops_percent_searched"].get<double>();
    std::cout << "mu " << mu << (gate_lr ? " gate_lr 0.01" : " default schedule") << ": " << b
              << "% relative BOPs\n";
    return b;
  };
  const double weak = bops(0.01, std::nullopt);
  const double strong = bops(3.0, std::nullopt);
  const double weak_fixed = bops(0.01, 0.01);
  const double strong_fixed = bops(3.0, 0.01);
  std::filesystem::remove_all(cache);
  EXPECT_LT(strong, weak);
  // The fixed rate: 12 steps of about 0.01 move no gate from 3 to the threshold near -0.94.
  EXPECT_DOUBLE_EQ(weak_fixed, 6.25);
  EXPECT_DOUBLE_EQ(strong_fixed, 6.25);
}

}  // namespace
}  // namespace bitsearch
