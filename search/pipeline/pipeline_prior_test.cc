// The latency prior through whole jobs: on pulp-xpulpv2 (no sub-byte SIMD, so compute-bound
// layers run slower at 4 and 2 bits than at 8) a search with regularizer "latency" keeps 8 bits on
// those layers, while the BOP prior under the same settings lowers them: the prior follows the
// hardware's table, not the bit count.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "latency_models/profile_registry.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pipeline_testing.h"
#include "search/prior.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

// The layers of LeNet-5 (28x28 inputs, as the synthetic data) where every sub-byte pair of the
// prior's own pulp-xpulpv2 table is slower than a8/w8, and those where some sub-byte pair is faster.
void SplitLayersBySubByteCost(std::set<std::string>* slower, std::set<std::string>* faster) {
  auto graph = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto model = LoadProfile("pulp-xpulpv2", "");
  ASSERT_TRUE(model.ok()) << model.status();
  auto table = LatencyPriorTable(*graph, **model);
  ASSERT_TRUE(table.ok()) << table.status();
  std::vector<int> layers = graph->Layers();
  ASSERT_EQ(layers.size(), table->size());
  for (size_t k = 0; k < layers.size(); ++k) {
    const auto& t = (*table)[k];
    bool all_slower = true;
    for (int a = 0; a < 3; ++a) {  // bits {2, 4, 8}: the table's first three rows and columns
      for (int w = 0; w < 3; ++w) {
        if ((a < 2 || w < 2) && t[a][w] <= t[2][2]) all_slower = false;
      }
    }
    const std::string& name = graph->nodes[layers[k]].name;
    (all_slower ? slower : faster)->insert(name);
    std::cout << name << ": a8/w8 " << t[2][2] << " a8/w4 " << t[2][1] << " a4/w4 " << t[1][1]
              << " a8/w2 " << t[2][0] << " cycles\n";
  }
}

// A small job whose gates can cross the threshold within its steps (as in pipeline_refine_test:
// with Adam a gate moves about one learning rate per step), searched figures kept as found.
nlohmann::json PriorJob(const std::string& regularizer) {
  return {{"name", "prior-" + regularizer},
          {"model", "lenet5"},
          {"dataset", {{"name", "synthetic"}, {"synthetic_train", 800}, {"synthetic_test", 200}}},
          {"hardware", {{"profile", "pulp-xpulpv2"}}},
          {"pretrain", {{"epochs", 1}}},
          {"search",
           {{"epochs", 2}, {"batch_size", 64}, {"seed", 2}, {"regularizer", regularizer},
            {"mu", 3.0}, {"gate_init", 0.5}, {"gate_lr", 0.1}}},
          {"refine", {{"method", "none"}}},
          {"finetune", {{"epochs", 0}}},
          {"checkpoint_every", 0}};
}

// layer name -> (searched weight bits, searched input-activation bits)
std::map<std::string, std::pair<int, int>> SearchedBits(const nlohmann::json& result) {
  std::map<std::string, std::pair<int, int>> bits;
  for (const auto& l : result["layers"]) {
    bits[l["name"].get<std::string>()] = {l["searched_weight_bits"].get<int>(),
                                          l["searched_act_bits"].get<int>()};
  }
  return bits;
}

TEST(PipelinePriorTest, LatencyPriorKeepsEightBitsWhereTheTableMakesSubByteSlower) {
  std::set<std::string> slower, faster;
  ASSERT_NO_FATAL_FAILURE(SplitLayersBySubByteCost(&slower, &faster));
  // The convolutions are compute-bound (sub-byte operands are unpacked: slower); fc1 is bound by
  // its 512K weights' transfer, so 4-bit weights make it faster. Both kinds must be there for the
  // test to say anything.
  ASSERT_FALSE(slower.empty());
  ASSERT_FALSE(faster.empty());

  // Both jobs share one pretraining (the cache is keyed by model, data, pretrain settings, seed).
  const std::string cache = ::testing::TempDir() + "/bitsearch_prior_test_cache";
  std::filesystem::remove_all(cache);
  RunOptions options;
  options.threads = kTestThreads;
  options.cache_dir = cache;
  auto run = [&](const std::string& regularizer) -> absl::StatusOr<nlohmann::json> {
    auto spec = ParseJobSpec(PriorJob(regularizer));
    if (!spec.ok()) return spec.status();
    return RunJob(*spec, options, nullptr, nullptr);
  };
  auto latency = run("latency");
  auto bops = run("bops");
  std::filesystem::remove_all(cache);
  ASSERT_TRUE(latency.ok()) << latency.status();
  ASSERT_TRUE(bops.ok()) << bops.status();
  auto by_latency = SearchedBits(*latency);
  auto by_bops = SearchedBits(*bops);
  for (const auto& [name, b] : by_latency) {
    std::cout << name << ": latency prior w" << b.first << "/a" << b.second << ", bops prior w"
              << by_bops[name].first << "/a" << by_bops[name].second << "\n";
  }

  // The latency prior: 8-bit weights and inputs wherever sub-byte is slower on this device.
  for (const std::string& name : slower) {
    ASSERT_EQ(by_latency.count(name), 1u) << name;
    EXPECT_EQ(by_latency[name].first, 8) << name << " weights";
    EXPECT_EQ(by_latency[name].second, 8) << name << " input activations";
  }
  // The BOP prior, same job otherwise, lowers at least one of them: counting bits alone would not
  // keep them, so the 8 bits above come from the table.
  bool bops_lowered = false;
  for (const std::string& name : slower) {
    if (by_bops[name].first < 8 || by_bops[name].second < 8) bops_lowered = true;
  }
  EXPECT_TRUE(bops_lowered) << "the BOP prior kept 8 bits on every layer the latency prior keeps";
}

}  // namespace
}  // namespace bitsearch
