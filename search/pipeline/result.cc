#include "search/pipeline/result.h"

#include "search/bit_config.h"
#include "search/cost.h"
#include "search/hardware.h"

namespace bitsearch {
namespace {

using nlohmann::json;

json Nullable(const std::optional<double>& v) { return v ? json(*v) : json(); }

std::optional<double> Total(const Graph& graph, const BitConfig& config, const LatencyModel& model) {
  auto r = ConfigLatency(graph, config, model);
  return r.ok() ? std::optional<double>(r->total) : std::nullopt;
}

// Seconds the phase took so far (all runs of it, a resumed one included), if it ran.
std::optional<double> PhaseSeconds(const JobState& state, const std::string& phase) {
  auto it = state.timings.find(phase);
  return it == state.timings.end() ? std::nullopt : std::optional<double>(it->second);
}

}  // namespace

LatencyReport MeasureLatency(const Graph& graph, const JobState& state, const LatencyModel& model) {
  LatencyReport lat;
  lat.unit = model.unit();
  lat.profile = model.name();
  const std::vector<std::string> names = graph.LayerNames();
  auto uniform = [&](int w, int a) {
    BitConfig c = UniformBits(names, w, a);
    c.layers[0].act_bits = w == 32 ? 32 : 8;  // the network input stays 8-bit but in the float model
    return c;
  };
  lat.fp32 = Total(graph, uniform(32, 32), model);
  lat.w8a8 = Total(graph, uniform(8, 8), model);
  lat.searched = Total(graph, *state.config_searched, model);
  auto fin = ConfigLatency(graph, *state.config_final, model);
  if (fin.ok()) {
    lat.final_total = fin->total;
    for (size_t k = 0; k < names.size() && k < fin->per_layer.size(); ++k) {
      lat.layers[names[k]] = fin->per_layer[k];
    }
  }
  if (lat.w8a8 && lat.final_total && *lat.w8a8 > 0) {
    lat.reduction_vs_w8a8 = 100.0 * (1.0 - *lat.final_total / *lat.w8a8);
  }
  for (const auto& [name, b] : state.baselines) lat.baselines[name] = Total(graph, b.config, model);
  return lat;
}

json BuildResult(const Graph& graph, const JobState& state, const LatencyReport& latency) {
  const BitConfig& searched = *state.config_searched;
  CostSummary searched_cost = ComputeCosts(graph, searched);
  CostSummary final_cost = ComputeCosts(graph, *state.config_final);

  json layers = json::array();
  for (size_t k = 0; k < final_cost.layers.size(); ++k) {
    const LayerCost& c = final_cost.layers[k];
    auto lat = latency.layers.find(c.name);
    layers.push_back({{"name", c.name},
                      {"type", c.type},
                      {"weight_bits", c.weight_bits},
                      {"act_bits", c.act_bits},
                      {"searched_weight_bits", searched.layers[k].weight_bits},
                      {"searched_act_bits", searched.layers[k].act_bits},
                      {"channels", c.channels},
                      {"channels_kept", c.channels_kept},
                      {"macs", c.macs},
                      {"size_bytes", c.size_bytes},
                      {"latency", lat == latency.layers.end() ? json() : json(lat->second)}});
  }
  json baselines = json::array();  // by name, as the state keeps them
  for (const auto& [name, b] : state.baselines) {
    CostSummary cost = ComputeCosts(graph, b.config);
    auto lat = latency.baselines.find(name);
    baselines.push_back({{"name", name},
                         {"accuracy", b.accuracy},
                         {"relative_bops_percent", cost.relative_bops_percent},
                         {"model_size_bytes", cost.size_bytes},
                         {"seconds", Nullable(PhaseSeconds(state, "baseline:" + name))},
                         {"ptq", b.report},
                         {"latency", lat == latency.baselines.end() ? json() : Nullable(lat->second)}});
  }
  json result = {
      {"name", state.spec.value("name", "job")},
      {"model", state.spec.at("model")},
      {"accuracy",
       {{"fp32", Nullable(state.accuracy_fp32)},
        {"searched", Nullable(state.accuracy_searched)},
        {"final", Nullable(state.accuracy_final)}}},
      {"relative_bops_percent", final_cost.relative_bops_percent},
      {"relative_bops_percent_searched", searched_cost.relative_bops_percent},
      {"latency",
       {{"unit", latency.unit},
        {"profile", latency.profile},
        {"fp32", Nullable(latency.fp32)},
        {"w8a8", Nullable(latency.w8a8)},
        {"searched", Nullable(latency.searched)},
        {"final", Nullable(latency.final_total)},
        {"reduction_vs_w8a8", Nullable(latency.reduction_vs_w8a8)}}},
      {"model_size_bytes", {{"fp32", final_cost.size_fp32_bytes}, {"final", final_cost.size_bytes}}},
      {"layers", layers},
      {"baselines", baselines},
      {"ptq", state.ptq_report},
      // What the search method reports of itself (FracBits: its rounding); null for most.
      {"search_report", state.method_state},
      {"refine", state.refine ? state.refine->ToJson() : json()},
      {"finetune",
       {{"method", state.spec.at("finetune").value("method", "qat")},
        {"accuracy_after_adaround", Nullable(state.accuracy_adaround)},
        {"adaround", state.adaround}}},
      {"timings", state.timings},
      {"threads", state.threads},
      {"device", state.device},
      {"blas_core", state.blas_core},
      {"spec", state.spec},
      {"preprocessing", state.preprocessing},
      {"data", state.data},
      {"warnings", state.warnings},
  };
  if (state.exported) result["export"] = state.exported->ToJson();
  return result;
}

}  // namespace bitsearch
