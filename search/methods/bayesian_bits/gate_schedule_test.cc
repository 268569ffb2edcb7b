#include "search/methods/bayesian_bits/gate_schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "search/hard_concrete.h"
#include "search/spec.h"

namespace bitsearch {
namespace {

using ::testing::HasSubstr;

TEST(GateScheduleTest, ThresholdIsWhereTheTestTimeRuleFlips) {
  // By hand: (2/3) ln(0.1 / 1.1) - ln(0.34 / 0.66) = -1.598597 + 0.663294.
  EXPECT_NEAR(GateThresholdLogAlpha(), -0.935303, 1e-6);
  const double p0 = ProbZero(torch::tensor(GateThresholdLogAlpha(), torch::kDouble)).item<double>();
  EXPECT_NEAR(p0, kHcThreshold, 1e-9);
}

TEST(GateScheduleTest, RateLetsAGateReachTheThresholdInItsShareOfTheSteps) {
  SearchSpec s;  // gate_init 3, gate_travel 0.3, no gate_lr
  // Three Fashion-MNIST epochs (54,000 training samples, batch 128): 3 x 422 steps.
  EXPECT_NEAR(GateLearningRate(s, 1266), (3 + 0.935303) / (0.3 * 1266), 1e-7);
  EXPECT_NEAR(GateLearningRate(s, 1266), 0.010362, 1e-6);  // the earlier fixed default was 0.01
  // One epoch on 6,000 samples (5,400 after the validation split): 43 steps.
  EXPECT_NEAR(GateLearningRate(s, 43), 3.935303 / 12.9, 1e-6);
  // Ten times the steps, a tenth of the rate: steps x rate is what the schedule keeps.
  EXPECT_NEAR(GateLearningRate(s, 12660) * 12660, GateLearningRate(s, 1266) * 1266, 1e-9);
  s.gate_travel = 0.6;
  EXPECT_NEAR(GateLearningRate(s, 1266), 3.935303 / (0.6 * 1266), 1e-7);
  // A gate starting at or below the threshold still gets a rate (one log_alpha unit of travel).
  s.gate_travel = 1.0;
  s.gate_init = -2;
  EXPECT_NEAR(GateLearningRate(s, 100), 0.01, 1e-12);
  // No steps (a 0-epoch search) does not divide by zero.
  EXPECT_TRUE(std::isfinite(GateLearningRate(s, 0)));
}

TEST(GateScheduleTest, AFixedRateIsKeptAsGiven) {
  SearchSpec s;
  s.gate_lr = 0.01;
  EXPECT_EQ(GateLearningRate(s, 43), 0.01);
  EXPECT_EQ(GateLearningRate(s, 100000), 0.01);
  EXPECT_THAT(DescribeGateLearningRate(s, 43), HasSubstr("0.01 (search.gate_lr)"));
  s.gate_lr.reset();
  EXPECT_THAT(DescribeGateLearningRate(s, 43), HasSubstr("30% of the 43 search steps"));
}

std::string ErrorOf(const std::string& search_block) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5", "search": )" + search_block + "}");
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(GateScheduleTest, SpecReadsAndChecksBothFields) {
  auto spec = ParseJobSpecText(R"({"model": "lenet5"})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->search.gate_lr.has_value());
  EXPECT_EQ(spec->search.gate_travel, 0.3);
  spec = ParseJobSpecText(R"({"model": "lenet5", "search": {"gate_lr": 0.02, "gate_travel": 0.5}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(*spec->search.gate_lr, 0.02);
  EXPECT_EQ(spec->search.gate_travel, 0.5);
  // null is the automatic rate, and the canonical form writes it back as null.
  spec = ParseJobSpecText(R"({"model": "lenet5", "search": {"gate_lr": null}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->search.gate_lr.has_value());
  EXPECT_TRUE(JobSpecToJson(*spec)["search"]["gate_lr"].is_null());
  auto again = ParseJobSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->search.gate_lr.has_value());

  EXPECT_THAT(ErrorOf(R"({"gate_lr": 0})"), HasSubstr("search.gate_lr: must be greater than 0"));
  EXPECT_THAT(ErrorOf(R"({"gate_lr": "fast"})"), HasSubstr("search.gate_lr: expected a number"));
  EXPECT_THAT(ErrorOf(R"({"gate_travel": 0})"),
              HasSubstr("search.gate_travel: must be greater than 0"));
  EXPECT_THAT(ErrorOf(R"({"gate_travel": 1.5})"),
              HasSubstr("search.gate_travel: must be at most 1 (it is a share of the search steps)"));
}

}  // namespace
}  // namespace bitsearch
