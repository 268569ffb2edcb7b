// JobState survives its JSON form field by field; a checkpoint of another format is refused with
// a reason instead of being half-read.
#include "search/pipeline/job_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bitsearch {
namespace {

JobState FullState() {
  JobState s;
  s.spec = {{"name", "x"}, {"model", {{"zoo", "lenet5"}}}};
  s.threads = 2;
  s.done = {"pretrain", "range_init", "search"};
  s.timings = {{"pretrain", 1.5}, {"search", 2.25}};
  s.phase = "refine";
  s.cursor = {1, 17};
  s.accuracy_fp32 = 88.5;
  s.pretrain_cache = "/tmp/cache/lenet5-00.fp";
  s.accuracy_searched = 87.25;
  s.config_searched = BitConfig{{{"conv1", 4, 8, {1, 0, 1}}, {"fc", 8, 4, {}}}};
  RefineReport refine;
  refine.method = "freebits";
  refine.applied = true;
  refine.profile = "pulp-xpulpv2";
  refine.latency_before = 10;
  refine.latency_after = 7;
  refine.steps = 1;
  refine.latency_budget = 8;
  refine.evaluations = 3;
  refine.summary = "one move";
  refine::RefineMove move;
  move.phase = "freebie";
  move.what = "weight";
  move.target = "conv1";
  move.from_bits = 4;
  move.to_bits = 8;
  move.total_latency_after = 7;
  refine.moves.push_back(move);
  s.refine = refine;
  s.config_final = BitConfig{{{"conv1", 8, 8, {1, 0, 1}}, {"fc", 8, 4, {}}}};
  s.accuracy_final = 88.0;
  ExportReport e;
  e.dir = "/tmp/export";
  e.payload_bytes = 100;
  e.checked_samples = 5;
  s.exported = e;
  s.baselines["w8a8"] = {89.0, BitConfig{{{"conv1", 8, 8, {}}, {"fc", 8, 8, {}}}}, nullptr};
  s.baselines["ptq-w4a8-cle"] = {88.5, BitConfig{{{"conv1", 4, 8, {}}, {"fc", 4, 8, {}}}},
                                 {{"cle", {{"chains", {"conv1 -> fc"}}}}, {"seconds", 0.5}}};
  s.method_state = {{"offset", -0.5}};
  return s;
}

TEST(JobStateTest, RoundTripsThroughJson) {
  JobState s = FullState();
  auto back = JobState::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), s.ToJson());
  EXPECT_EQ(back->cursor.step_in_epoch, 17);
  EXPECT_EQ(back->refine->moves.size(), 1u);
  EXPECT_EQ(*back->refine->latency_budget, 8);
  EXPECT_EQ(back->config_final->layers[0].keep, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(back->exported->payload_bytes, 100);
  EXPECT_EQ(back->baselines.at("w8a8").accuracy, 89.0);
  EXPECT_EQ(back->baselines.at("ptq-w4a8-cle").report["cle"]["chains"][0], "conv1 -> fc");
}

TEST(JobStateTest, AFreshStateRoundTripsWithItsGapsUnset) {
  JobState s;
  s.spec = {{"name", "fresh"}};
  auto back = JobState::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->accuracy_fp32.has_value());
  EXPECT_FALSE(back->config_searched.has_value());
  EXPECT_FALSE(back->refine.has_value());
  EXPECT_FALSE(back->exported.has_value());
}

TEST(JobStateTest, AStateOfAnotherFormatIsRefusedWithAReason) {
  nlohmann::json old = {{"phase", "search"}, {"done", {{"pretrain", true}}}};  // the old meta
  auto parsed = JobState::FromJson(old);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(parsed.status().message()), ::testing::HasSubstr("another bitsearch version"));
  nlohmann::json broken = FullState().ToJson();
  broken.erase("timings");
  parsed = JobState::FromJson(broken);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), ::testing::HasSubstr("timings"));
}

}  // namespace
}  // namespace bitsearch
