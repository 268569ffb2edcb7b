// Resuming from every phase boundary (the checkpoint a job writes after each phase) runs only
// the phases after it and ends with the straight run's result; a checkpoint cut short fails the
// run, or (as a worker runs) restarts it from the float model the checkpoint still holds.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "search/job_checkpoint.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

// A LeNet-5 job on 600 synthetic images, one epoch per phase.
absl::StatusOr<JobSpec> SmallJob(const std::string& name, int checkpoint_every,
                                 const nlohmann::json& baselines) {
  return ParseJobSpec({{"name", name},
                       {"model", "lenet5"},
                       {"dataset", {{"name", "synthetic"}, {"synthetic_train", 600}, {"synthetic_test", 200}}},
                       {"pretrain", {{"epochs", 1}}},
                       {"search", {{"epochs", 1}, {"batch_size", 64}, {"seed", 5}}},
                       {"finetune", {{"epochs", 1}}},
                       {"baselines", baselines},
                       {"checkpoint_every", checkpoint_every}});
}

TEST(PipelineResumeTest, EveryPhaseBoundaryResumesToTheSameResult) {
  auto spec = SmallJob("boundaries", /*checkpoint_every=*/0, nlohmann::json::array({"w4a4"}));
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

bool Logged(const RecordingObserver& log, const std::string& text) {
  for (const std::string& line : log.logs) {
    if (absl::StrContains(line, text)) return true;
  }
  return false;
}

TEST(PipelineResumeTest, ACheckpointCutShortRestartsFromTheFloatModelItStillHolds) {
  auto spec = SmallJob("cut", /*checkpoint_every=*/4, nlohmann::json::array());
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  MemoryCheckpointStore saved;
  auto straight = RunJob(*spec, options, nullptr, &saved);
  ASSERT_TRUE(straight.ok()) << straight.status();
  // A checkpoint taken inside the search phase, as a worker killed mid-upload left one.
  std::string mid_search;
  for (const std::string& bytes : saved.saved) {
    auto c = ParseJobCheckpoint(bytes);
    ASSERT_TRUE(c.ok());
    if (c->meta["phase"] == "search" && !c->optimizer_state.empty()) mid_search = bytes;
  }
  ASSERT_FALSE(mid_search.empty());
  auto whole = ParseJobCheckpoint(mid_search);
  auto cut_inside = [&](const std::string& section, size_t size) {
    size_t at = mid_search.find(section + "\n" + std::to_string(size) + "\n");
    EXPECT_NE(at, std::string::npos) << section;
    return mid_search.substr(0, at + section.size() + 100);
  };

  // Cut inside the network state: the metadata and the float model before it are whole.
  MemoryCheckpointStore cut_store;
  cut_store.resume_from = cut_inside("model_state", whole->model_state.size());
  RecordingObserver failed_log;
  auto failed = RunJob(*spec, options, &failed_log, &cut_store);  // the CLI's default: fail
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "truncated")) << failed.status();

  options.restart_unreadable_checkpoint = true;  // as a worker runs
  RecordingObserver log;
  auto restarted = RunJob(*spec, options, &log, &cut_store);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_TRUE(Logged(log, "the checkpoint to resume from is unreadable (checkpoint: truncated"));
  EXPECT_TRUE(Logged(log, "restarting after pretraining"));
  EXPECT_EQ(log.ended, (std::vector<std::string>{"range_init", "search", "refine", "finetune"}));
  EXPECT_EQ((*restarted)["accuracy"]["fp32"], (*straight)["accuracy"]["fp32"]);

  // Cut inside the float model: nothing is left to keep, the job starts over.
  MemoryCheckpointStore early_store;
  early_store.resume_from = cut_inside("fp_state", whole->fp_state.size());
  RecordingObserver over_log;
  auto over = RunJob(*spec, options, &over_log, &early_store);
  ASSERT_TRUE(over.ok()) << over.status();
  EXPECT_TRUE(Logged(over_log, "restarting the job from its start"));
  EXPECT_EQ(over_log.ended,
            (std::vector<std::string>{"pretrain", "range_init", "search", "refine", "finetune"}));
}

}  // namespace
}  // namespace bitsearch
