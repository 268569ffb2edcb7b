// The "finetune" block: its three methods, their defaults, the round trip, and one error per
// mistake, each naming its field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/spec.h"

namespace bitsearch {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

std::string FinetuneError(const std::string& finetune, const std::string& rest = "") {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "finetune": )" + finetune + rest + "}");
  EXPECT_FALSE(spec.ok()) << finetune;
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(FinetuneSpecTest, MethodsDefaultsAndRoundTrip) {
  auto plain = ParseJobSpecText(R"({"model": "lenet5"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->finetune.method, "qat");
  EXPECT_EQ(plain->finetune.epochs, 1);
  EXPECT_FALSE(plain->finetune.rounds());
  // A "qat" spec writes no AdaRound fields (they would be refused on reading it back).
  EXPECT_FALSE(JobSpecToJson(*plain)["finetune"].contains("adaround"));

  auto rounding = ParseJobSpecText(R"({"model": "lenet5", "finetune": {"method": "adaround"}})");
  ASSERT_TRUE(rounding.ok()) << rounding.status();
  EXPECT_EQ(rounding->finetune.epochs, 0);  // AdaRound alone trains nothing
  EXPECT_EQ(rounding->finetune.adaround_iterations, 10000);
  EXPECT_EQ(rounding->finetune.calibration_samples, 1024);
  EXPECT_TRUE(rounding->finetune.rounds());

  auto both = ParseJobSpecText(R"({"model": "lenet5", "finetune": {"method": "adaround+qat",
    "epochs": 2, "lr": 5e-5, "adaround": {"iterations": 500}, "calibration_samples": 256}})");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->finetune.epochs, 2);
  EXPECT_EQ(both->finetune.adaround_iterations, 500);
  EXPECT_EQ(both->finetune.calibration_samples, 256);
  for (const JobSpec& s : {*plain, *rounding, *both}) {
    const json filled = JobSpecToJson(s);
    auto again = ParseJobSpec(filled);
    ASSERT_TRUE(again.ok()) << again.status() << filled.dump();
    EXPECT_EQ(JobSpecToJson(*again), filled);
  }
}

TEST(FinetuneSpecTest, EachMistakeNamesItsField) {
  EXPECT_THAT(FinetuneError(R"({"method": "adaroud"})"),
              HasSubstr("finetune.method: unknown value \"adaroud\""));
  EXPECT_THAT(FinetuneError(R"({"method": "adaround", "epochs": 2})"),
              HasSubstr("finetune.epochs: method \"adaround\" does not train"));
  EXPECT_THAT(FinetuneError(R"({"method": "adaround+qat", "epochs": 0})"),
              HasSubstr("finetune.epochs: method \"adaround+qat\" fine-tunes after AdaRound"));
  EXPECT_THAT(FinetuneError(R"({"adaround": {"iterations": 100}})"),
              HasSubstr("finetune.adaround: only read with finetune.method \"adaround\""));
  EXPECT_THAT(FinetuneError(R"({"calibration_samples": 64})"),
              HasSubstr("finetune.calibration_samples: only read with"));
  EXPECT_THAT(FinetuneError(R"({"method": "adaround", "adaround": {"iterations": 0}})"),
              HasSubstr("finetune.adaround.iterations: must be at least 1"));
  EXPECT_THAT(FinetuneError(R"({"method": "adaround", "adaround": {"iters": 5}})"),
              HasSubstr("finetune.adaround.iters: unknown field"));
  EXPECT_THAT(FinetuneError(R"({"method": "adaround", "adaround": true})"),
              HasSubstr("finetune.adaround: expected an object"));
  EXPECT_THAT(FinetuneError(R"({"method": "adaround", "calibration_samples": 0})"),
              HasSubstr("finetune.calibration_samples: must be at least 1"));
  // A post-training job rounds in its "ptq" block.
  EXPECT_THAT(FinetuneError(R"({"method": "adaround"})",
                            R"(, "search": {"method": "none"}, "refine": {"method": "none"})"),
              HasSubstr("finetune.method: search.method \"none\" rounds in its \"ptq\" block"));
}

}  // namespace
}  // namespace bitsearch
