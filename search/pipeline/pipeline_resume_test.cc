// Resuming from every phase boundary (the checkpoint a job writes after each phase) runs only
// the phases after it and ends with the straight run's result.
#include <gtest/gtest.h>

#include <vector>

#include "search/job_checkpoint.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

TEST(PipelineResumeTest, EveryPhaseBoundaryResumesToTheSameResult) {
  auto spec = ParseJobSpec({{"name", "boundaries"},
                            {"model", "lenet5"},
                            {"dataset", {{"name", "synthetic"}, {"synthetic_train", 600}, {"synthetic_test", 200}}},
                            {"pretrain", {{"epochs", 1}}},
                            {"search", {{"epochs", 1}, {"batch_size", 64}, {"seed", 5}}},
                            {"finetune", {{"epochs", 1}}},
                            {"baselines", nlohmann::json::array({"w4a4"})},
                            {"checkpoint_every", 0}});  // boundaries only
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  MemoryCheckpointStore store;
  RecordingObserver straight_log;
  auto straight = RunJob(*spec, options, &straight_log, &store);
  ASSERT_TRUE(straight.ok()) << straight.status();
  const std::vector<std::string> phases = straight_log.ended;
  ASSERT_EQ(phases, (std::vector<std::string>{"pretrain", "range_init", "search", "refine",
                                              "finetune", "baseline:w4a4"}));
  ASSERT_EQ(store.saved.size(), phases.size());  // one boundary checkpoint after each phase

  for (size_t b = 0; b < store.saved.size(); ++b) {
    auto ckpt = ParseJobCheckpoint(store.saved[b]);
    ASSERT_TRUE(ckpt.ok());
    const std::string next = b + 1 < phases.size() ? phases[b + 1] : "end";
    EXPECT_EQ(ckpt->meta["phase"], next);
    MemoryCheckpointStore resume_store;
    resume_store.resume_from = store.saved[b];
    RecordingObserver log;
    auto resumed = RunJob(*spec, options, &log, &resume_store);
    ASSERT_TRUE(resumed.ok()) << "resumed at " << next << ": " << resumed.status();
    // Only the phases after the boundary ran again.
    EXPECT_EQ(log.ended, std::vector<std::string>(phases.begin() + b + 1, phases.end())) << next;
    EXPECT_EQ((*resumed)["accuracy"], (*straight)["accuracy"]) << next;
    EXPECT_EQ((*resumed)["layers"], (*straight)["layers"]) << next;
    EXPECT_EQ(BaselinesWithoutTimes(*resumed), BaselinesWithoutTimes(*straight)) << next;
    EXPECT_EQ((*resumed)["refine"], (*straight)["refine"]) << next;
  }
}

}  // namespace
}  // namespace bitsearch
