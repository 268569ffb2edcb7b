// The refinement through whole jobs: refine.method "none" keeps the searched configuration, budget
// mode reports a feasible and an infeasible budget, refinement never measures the test split, and
// the prior's strength changes what the search finds.
#include <gtest/gtest.h>

#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {
namespace {

nlohmann::json SmallJob() {
  return {{"name", "refine"},
          {"model", "lenet5"},
          {"dataset", {{"name", "synthetic"}, {"synthetic_train", 800}, {"synthetic_test", 200}}},
          {"hardware", {{"profile", "bops"}}},
          {"pretrain", {{"epochs", 1}}},
          {"search", {{"epochs", 1}, {"batch_size", 64}, {"seed", 2}}},
          {"finetune", {{"epochs", 0}}},
          {"checkpoint_every", 0}};
}

absl::StatusOr<nlohmann::json> RunSmallJob(const nlohmann::json& j) {
  auto spec = ParseJobSpec(j);
  if (!spec.ok()) return spec.status();
  RunOptions options;
  options.threads = kTestThreads;
  return RunJob(*spec, options, nullptr, nullptr);
}

std::vector<std::pair<int, int>> Bits(const nlohmann::json& result, const char* w, const char* a) {
  std::vector<std::pair<int, int>> out;
  for (const auto& l : result["layers"]) out.push_back({l[w].get<int>(), l[a].get<int>()});
  return out;
}

TEST(PipelineRefineTest, MethodNoneKeepsTheSearchedConfiguration) {
  nlohmann::json j = SmallJob();
  j["refine"] = {{"method", "none"}};
  j["hardware"]["profile"] = "pulp-xpulpv2";  // a profile where Free Bits would raise bits
  auto r = RunSmallJob(j);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["refine"], nlohmann::json({{"method", "none"}, {"applied", false}}));
  EXPECT_EQ(Bits(*r, "weight_bits", "act_bits"), Bits(*r, "searched_weight_bits", "searched_act_bits"));
  EXPECT_EQ((*r)["latency"]["final"], (*r)["latency"]["searched"]);
}

TEST(PipelineRefineTest, BudgetModeReportsFeasibleAndInfeasibleBudgets) {
  nlohmann::json j = SmallJob();
  j["refine"] = {{"latency_budget", 1.0}, {"max_accuracy_drop", 0.0}};  // 1 BOP: out of reach
  auto infeasible = RunSmallJob(j);
  ASSERT_TRUE(infeasible.ok()) << infeasible.status();
  const auto& ri = (*infeasible)["refine"];
  EXPECT_FALSE(ri["feasible"].get<bool>()) << ri.dump();
  EXPECT_GT(ri["latency_after"].get<double>(), 1.0);
  EXPECT_GT(ri["evaluations"].get<int>(), 0);  // budget mode measured before giving up

  // Three quarters of the searched latency, any accuracy drop allowed: met by lowering bits.
  const double budget = 0.75 * (*infeasible)["latency"]["searched"].get<double>();
  j["refine"] = {{"latency_budget", budget}, {"max_accuracy_drop", 100.0}};
  auto feasible = RunSmallJob(j);
  ASSERT_TRUE(feasible.ok()) << feasible.status();
  const auto& rf = (*feasible)["refine"];
  EXPECT_TRUE(rf["feasible"].get<bool>()) << rf.dump();
  EXPECT_LE(rf["latency_after"].get<double>(), budget);
  EXPECT_LE((*feasible)["latency"]["final"].get<double>(), budget);
  EXPECT_GT(rf["steps"].get<int>(), 0);
  for (const auto& move : rf["moves"]) EXPECT_EQ(move["phase"], "budget") << move.dump();
}

TEST(PipelineRefineTest, WithoutValidationDataRefinementNeverMeasuresTheTestSplit) {
  nlohmann::json j = SmallJob();
  j["dataset"]["validation_fraction"] = 0;
  j["hardware"]["profile"] = "pulp-xpulpv2";  // the freebie pass has work to do here
  auto r = RunSmallJob(j);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["data"]["validation"], 0);
  const auto& refine = (*r)["refine"];
  EXPECT_TRUE(refine["applied"].get<bool>()) << refine.dump();
  EXPECT_EQ(refine["evaluations"], 0) << refine.dump();  // the freebie pass measures nothing

  // Budget mode would have to measure: refused before anything trains, with the reason.
  j["refine"] = {{"latency_budget", 1000.0}};
  auto budget = RunSmallJob(j);
  ASSERT_FALSE(budget.ok());
  EXPECT_NE(std::string(budget.status().message()).find("validation split"), std::string::npos)
      << budget.status();
}

TEST(PipelineRefineTest, AStrongerPriorFindsACheaperConfiguration) {
  nlohmann::json j = SmallJob();
  // Gates that can travel past the threshold within the job's 24 steps: with Adam a gate moves about one learning rate per step.
  j["search"]["epochs"] = 2;
  j["search"]["gate_init"] = 0.5;
  j["search"]["gate_lr"] = 0.1;
  j["refine"] = {{"method", "none"}};
  j["search"]["mu"] = 0.01;
  auto weak = RunSmallJob(j);
  j["search"]["mu"] = 3.0;
  auto strong = RunSmallJob(j);
  ASSERT_TRUE(weak.ok()) << weak.status();
  ASSERT_TRUE(strong.ok()) << strong.status();
  const double bops_weak = (*weak)["relative_bops_percent"].get<double>();
  const double bops_strong = (*strong)["relative_bops_percent"].get<double>();
  EXPECT_LT(bops_strong, bops_weak);
  EXPECT_NE((*weak)["layers"], (*strong)["layers"]);
}

}  // namespace
}  // namespace bitsearch
