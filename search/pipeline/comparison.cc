#include "search/pipeline/comparison.h"

namespace bitsearch {

using nlohmann::json;

namespace {

// The phases whose time is the search's: everything after the shared pretraining, before the
// export and baselines (which only the job's own method has).
constexpr const char* kSearchPhases[] = {"range_init", "search", "refine", "adaround", "finetune"};

json Get(const json& j, const char* a, const char* b = nullptr) {
  if (!j.is_object() || !j.contains(a)) return json();
  if (b == nullptr) return j[a];
  return j[a].is_object() && j[a].contains(b) ? j[a][b] : json();
}

}  // namespace

json ComparisonRow(const std::string& method, const json& result, const json& target) {
  double seconds = 0;
  const json timings = Get(result, "timings");
  for (const char* phase : kSearchPhases) {
    if (timings.is_object() && timings.contains(phase)) seconds += timings[phase].get<double>();
  }
  json layers = json::array();
  for (const json& l : Get(result, "layers")) {
    json row = json::object();
    for (const char* key : {"name", "weight_bits", "act_bits", "searched_weight_bits",
                            "searched_act_bits", "channels", "channels_kept"}) {
      row[key] = Get(l, key);
    }
    layers.push_back(row);
  }
  return {{"method", method},
          {"target", target},
          {"accuracy",
           {{"searched", Get(result, "accuracy", "searched")},
            {"final", Get(result, "accuracy", "final")}}},
          {"relative_bops_percent",
           {{"searched", Get(result, "relative_bops_percent_searched")},
            {"final", Get(result, "relative_bops_percent")}}},
          {"latency",
           {{"searched", Get(result, "latency", "searched")},
            {"final", Get(result, "latency", "final")},
            {"unit", Get(result, "latency", "unit")}}},
          {"seconds", seconds},
          {"layers", layers},
          {"search", Get(result, "search_report")}};
}

void AddComparison(json& result, const std::vector<std::string>& methods,
                   const std::string& own_method, const json& own_target,
                   const std::map<std::string, json>& others) {
  json rows = json::array();
  rows.push_back(ComparisonRow(own_method, result, own_target));
  for (const std::string& m : methods) {
    auto it = others.find(m);
    if (m != own_method && it != others.end()) rows.push_back(it->second);
  }
  result["comparison"] = rows;
}

}  // namespace bitsearch
