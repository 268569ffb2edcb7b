#include "search/result.h"

#include "search/bit_config.h"
#include "search/cost.h"

namespace bitsearch {

using nlohmann::json;

json BuildResult(const Graph& graph, const json& meta) {
  BitConfig searched = BitConfigFromJson(meta.at("config_searched"));
  BitConfig final_config = BitConfigFromJson(meta.at("config_final"));
  CostSummary searched_cost = ComputeCosts(graph, searched);
  CostSummary final_cost = ComputeCosts(graph, final_config);
  const json latency = meta.value("latency", json::object());
  const json layer_latency = latency.value("layers", json::object());

  json layers = json::array();
  for (size_t k = 0; k < final_cost.layers.size(); ++k) {
    const LayerCost& c = final_cost.layers[k];
    json entry = {{"name", c.name},
                  {"type", c.type},
                  {"weight_bits", c.weight_bits},
                  {"act_bits", c.act_bits},
                  {"searched_weight_bits", searched.layers[k].weight_bits},
                  {"searched_act_bits", searched.layers[k].act_bits},
                  {"channels", c.channels},
                  {"channels_kept", c.channels_kept},
                  {"macs", c.macs},
                  {"size_bytes", c.size_bytes},
                  {"latency", layer_latency.value(c.name, json())}};
    layers.push_back(entry);
  }
  json baselines = json::array();
  const json baseline_meta = meta.value("baselines", json::object());
  const json baseline_latency = latency.value("baselines", json::object());
  for (auto it = baseline_meta.begin(); it != baseline_meta.end(); ++it) {
    const std::string& name = it.key();
    const json& b = it.value();
    CostSummary cost = ComputeCosts(graph, BitConfigFromJson(b.at("config")));
    json entry = {{"name", name},
                  {"accuracy", b.at("accuracy")},
                  {"relative_bops_percent", cost.relative_bops_percent},
                  {"model_size_bytes", cost.size_bytes},
                  {"latency", baseline_latency.value(name, json())}};
    baselines.push_back(entry);
  }
  json latency_out = {{"unit", latency.value("unit", json())},
                      {"profile", latency.value("profile", json())},
                      {"fp32", latency.value("fp32", json())},
                      {"w8a8", latency.value("w8a8", json())},
                      {"searched", latency.value("searched", json())},
                      {"final", latency.value("final", json())},
                      {"reduction_vs_w8a8", latency.value("reduction_vs_w8a8", json())}};
  return {
      {"name", meta.at("spec").value("name", "job")},
      {"model", meta.at("spec").at("model")},
      {"accuracy",
       {{"fp32", meta.value("accuracy_fp32", json())},
        {"searched", meta.value("accuracy_searched", json())},
        {"final", meta.value("accuracy_final", json())}}},
      {"relative_bops_percent", final_cost.relative_bops_percent},
      {"relative_bops_percent_searched", searched_cost.relative_bops_percent},
      {"latency", latency_out},
      {"model_size_bytes", {{"fp32", final_cost.size_fp32_bytes}, {"final", final_cost.size_bytes}}},
      {"layers", layers},
      {"baselines", baselines},
      {"refine", meta.value("refine", json())},
      {"timings", meta.value("timings", json::object())},
      {"threads", meta.value("threads", 0)},
      {"spec", meta.at("spec")},
      {"preprocessing", meta.value("preprocessing", json())},
      {"data", meta.value("data", json())},
      {"warnings", meta.value("warnings", json::array())},
  };
}

}  // namespace bitsearch
