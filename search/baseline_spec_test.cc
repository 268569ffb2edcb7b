// The spec's "baselines": catalog names and objects, their generated names, the round trip
// through JobSpecToJson, and an error for each setting that names the entry and the field.
#include "search/baseline_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/spec.h"

namespace bitsearch {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

absl::StatusOr<std::vector<BaselineSpec>> Parse(const std::string& text) {
  return ParseBaselines(json::parse(text));
}

std::string ErrorOf(const std::string& text) {
  auto b = Parse(text);
  EXPECT_FALSE(b.ok()) << text;
  return b.ok() ? "" : std::string(b.status().message());
}

TEST(BaselineSpecTest, NamesAndObjectsMix) {
  auto b = Parse(R"(["w8a8", {"weight_bits": 4, "act_bits": 8},
                    {"name": "mine", "method": "qat", "weight_bits": 2, "act_bits": 4}])");
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->size(), 3u);
  EXPECT_TRUE((*b)[0].from_catalog);
  EXPECT_EQ((*b)[0].name, "w8a8");
  EXPECT_FALSE((*b)[1].from_catalog);
  EXPECT_EQ((*b)[1].name, "ptq-w4a8");  // post-training with the defaults
  EXPECT_EQ((*b)[1].ptq.weight_range, "mse");
  EXPECT_EQ((*b)[1].ptq.calibration_samples, 1024);
  EXPECT_EQ((*b)[2].name, "mine");
  EXPECT_EQ((*b)[2].method, "qat");
  EXPECT_EQ((*b)[2].weight_bits, 2);
  EXPECT_EQ((*b)[2].act_bits, 4);
}

TEST(BaselineSpecTest, GeneratedNamesSayWhatDiffersFromTheDefaults) {
  auto b = Parse(R"([
    {"weight_bits": 4, "act_bits": 4, "range": "min-max"},
    {"weight_bits": 4, "act_bits": 8, "cle": true, "bias_correction": "empirical"},
    {"weight_bits": 4, "act_bits": 8, "weight_range": "min-max", "act_range": "percentile",
     "percentile": 99.9, "per_channel": true},
    {"weight_bits": 8, "act_bits": 8, "adaround": {"iterations": 500}, "calibration_samples": 64},
    {"weight_bits": 8, "act_bits": 8, "bias_correction": "analytic"},
    {"method": "qat", "weight_bits": 4, "act_bits": 8}])");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)[0].name, "ptq-w4a4-minmax");
  EXPECT_EQ((*b)[1].name, "ptq-w4a8-cle-bc");
  EXPECT_EQ((*b)[2].name, "ptq-w4a8-wminmax-apercentile99.9-perchannel");
  EXPECT_EQ((*b)[3].name, "ptq-w8a8-adaround500-cal64");
  EXPECT_TRUE((*b)[3].ptq.adaround);
  EXPECT_EQ((*b)[3].ptq.adaround_iterations, 500);
  EXPECT_EQ((*b)[4].name, "ptq-w8a8-analyticbc");
  EXPECT_EQ((*b)[5].name, "qat-w4a8");
}

TEST(BaselineSpecTest, TheFilledInSpecParsesToTheSameBaselines) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "baselines": ["ptq-w4a8-adaround",
    {"weight_bits": 4, "act_bits": 8, "range": "min-max", "cle": true, "adaround": true},
    {"name": "q", "method": "qat", "weight_bits": 4, "act_bits": 4}]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const json filled = JobSpecToJson(*spec);
  auto again = ParseJobSpec(filled);
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << filled.dump(2);
  EXPECT_EQ(JobSpecToJson(*again), filled);
  EXPECT_EQ(filled["baselines"][0], "ptq-w4a8-adaround");
  EXPECT_EQ(filled["baselines"][1]["name"], "ptq-w4a8-minmax-cle-adaround");
  EXPECT_EQ(filled["baselines"][1]["adaround"]["iterations"], 10000);
  EXPECT_FALSE(filled["baselines"][2].contains("cle"));
}

TEST(BaselineSpecTest, EachSettingHasItsError) {
  EXPECT_THAT(ErrorOf(R"({"weight_bits": 4})"), HasSubstr("baselines: expected an array, got an object"));
  EXPECT_THAT(ErrorOf(R"(["w3a3"])"), HasSubstr("baselines[0]: unknown value \"w3a3\""));
  EXPECT_THAT(ErrorOf(R"([7])"), HasSubstr("baselines[0]: expected a baseline name or an object"));
  EXPECT_THAT(ErrorOf(R"([{"act_bits": 8}])"),
              HasSubstr("baselines[0].weight_bits: required field is missing"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 3, "act_bits": 8}])"),
              HasSubstr("baselines[0].weight_bits: unknown value \"3\""));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": "8"}])"),
              HasSubstr("baselines[0].act_bits: expected an integer"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "method": "gptq"}])"),
              HasSubstr("baselines[0].method: unknown value \"gptq\""));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "range": "max"}])"),
              HasSubstr("baselines[0].range: unknown value \"max\""));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "weight_range": "percentile"}])"),
              HasSubstr("baselines[0].weight_range: unknown value \"percentile\""));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "percentile": 20}])"),
              HasSubstr("baselines[0].percentile"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "cle": "yes"}])"),
              HasSubstr("baselines[0].cle: expected a boolean"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "bias_correction": "full"}])"),
              HasSubstr("baselines[0].bias_correction: unknown value \"full\""));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "adaround": 3}])"),
              HasSubstr("baselines[0].adaround: expected true, false or an object"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "adaround": {"iterations": 0}}])"),
              HasSubstr("baselines[0].adaround.iterations"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "adaround": {"iters": 9}}])"),
              HasSubstr("baselines[0].adaround.iters"));
  EXPECT_THAT(
      ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "adaround": true, "bias_correction": "empirical"}])"),
      HasSubstr("baselines[0].bias_correction: AdaRound already fits"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "calibration_samples": 0}])"),
              HasSubstr("baselines[0].calibration_samples"));
  EXPECT_THAT(ErrorOf(R"([{"method": "qat", "weight_bits": 4, "act_bits": 8, "cle": true}])"),
              HasSubstr("baselines[0].cle: only post-training baselines"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8, "clE": true}])"),
              HasSubstr("baselines[0].clE"));
  EXPECT_THAT(ErrorOf(R"(["ptq-w4a8", {"weight_bits": 4, "act_bits": 8}])"),
              HasSubstr("baselines[1]: \"ptq-w4a8\" is listed twice"));
  EXPECT_THAT(ErrorOf(R"([{"name": "", "weight_bits": 4, "act_bits": 8}])"),
              HasSubstr("baselines[0].name: must not be empty"));
  EXPECT_THAT(ErrorOf(R"(["w8a8", "w8a8"])"),
              HasSubstr("baselines[1]: \"w8a8\" is listed twice (also baselines[0])"));
  EXPECT_THAT(ErrorOf(R"([{"weight_bits": 4, "act_bits": 8}, {"weight_bits": 4, "act_bits": 8}])"),
              HasSubstr("baselines[1]: \"ptq-w4a8\" is listed twice"));
}

std::string JobError(const std::string& text) {
  auto spec = ParseJobSpecText(text);
  EXPECT_FALSE(spec.ok()) << text;
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(PtqBlockTest, APostTrainingJobReadsItAndRoundTrips) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "search": {"method": "none"},
    "refine": {"method": "none"}, "finetune": {"epochs": 0},
    "ptq": {"weight_bits": 4, "act_bits": 8, "range": "min-max", "cle": true}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->ptq.weight_bits, 4);
  EXPECT_EQ(spec->ptq.act_bits, 8);
  EXPECT_EQ(spec->ptq.steps.weight_range, "min-max");
  EXPECT_TRUE(spec->ptq.steps.cle);
  const json filled = JobSpecToJson(*spec);
  EXPECT_EQ(filled["ptq"]["weight_bits"], 4);
  auto again = ParseJobSpec(filled);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(JobSpecToJson(*again), filled);
  // Without the block: 8 bits, MSE ranges, nothing else.
  auto plain = ParseJobSpecText(R"({"model": "lenet5", "search": {"method": "none"},
    "refine": {"method": "none"}, "finetune": {"epochs": 0}})");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->ptq.weight_bits, 8);
  EXPECT_EQ(plain->ptq.act_bits, 8);
  // Another method's filled-in spec has no "ptq" block (it would be refused).
  EXPECT_FALSE(JobSpecToJson(*ParseJobSpecText(R"({"model": "lenet5"})")).contains("ptq"));
}

TEST(PtqBlockTest, BeforeASearchItIsAnEqualizationWarmStart) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "ptq": {"cle": true}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->ptq.steps.cle);
  const json filled = JobSpecToJson(*spec);
  EXPECT_EQ(filled["ptq"], (json{{"cle", true}, {"calibration_samples", 1024}}));
  auto again = ParseJobSpec(filled);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(JobSpecToJson(*again), filled);
}

TEST(PtqBlockTest, EachMistakeNamesItsField) {
  const std::string job = R"({"model": "lenet5", "search": {"method": "none"},
    "refine": {"method": "none"}, "finetune": {"epochs": 0}, )";
  EXPECT_THAT(JobError(R"({"model": "lenet5", "ptq": {"weight_bits": 4}})"),
              HasSubstr("ptq.weight_bits: before a search the \"ptq\" block takes only \"cle\""));
  EXPECT_THAT(JobError(R"({"model": "lenet5", "ptq": {"cle": true, "adaround": true}})"),
              HasSubstr("ptq.adaround: before a search"));
  EXPECT_THAT(JobError(R"({"model": "lenet5", "ptq": {"cle": 1}})"), HasSubstr("ptq.cle"));
  EXPECT_THAT(JobError(R"({"model": "lenet5", "search": {"method": "none"},
    "finetune": {"epochs": 0}})"),
              HasSubstr("refine.method: search.method \"none\" keeps the bits"));
  EXPECT_THAT(JobError(R"({"model": "lenet5", "search": {"method": "none"},
    "refine": {"method": "none"}})"),
              HasSubstr("finetune.epochs: search.method \"none\" quantizes after training"));
  EXPECT_THAT(JobError(job + R"("ptq": {"per_channel": true}})"), HasSubstr("ptq.per_channel"));
  EXPECT_THAT(JobError(job + R"("ptq": {"weight_bits": 5}})"),
              HasSubstr("ptq.weight_bits: unknown value \"5\""));
  EXPECT_THAT(JobError(job + R"("ptq": {"adaround": true, "bias_correction": "analytic"}})"),
              HasSubstr("ptq.bias_correction: AdaRound already fits"));
  EXPECT_THAT(JobError(job + R"("ptq": {"bits": 4}})"), HasSubstr("ptq.bits: unknown field"));
  EXPECT_THAT(JobError(job + R"("ptq": [4]})"), HasSubstr("ptq: expected an object"));
}

}  // namespace
}  // namespace bitsearch
