#include "client/compare_table.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/report/pareto.h"

namespace bitsearch {
namespace {

using nlohmann::json;

json Opt(std::optional<double> v) { return v ? json(*v) : json(); }
json Opt(std::optional<int64_t> v) { return v ? json(*v) : json(); }
json Opt(std::optional<int> v) { return v ? json(*v) : json(); }
json Opt(std::optional<bool> v) { return v ? json(*v) : json(); }

// Pareto marks over the entries that have both figures; the others get std::nullopt.
std::vector<std::optional<bool>> Marks(const std::vector<std::optional<double>>& accuracy,
                                       const std::vector<std::optional<double>>& cost) {
  std::vector<TradeoffPoint> points;
  std::vector<size_t> index;
  for (size_t i = 0; i < accuracy.size(); ++i) {
    if (accuracy[i] && cost[i]) {
      points.push_back({*accuracy[i], *cost[i]});
      index.push_back(i);
    }
  }
  std::vector<bool> optimal = ParetoOptimal(points);
  std::vector<std::optional<bool>> out(accuracy.size());
  for (size_t k = 0; k < index.size(); ++k) out[index[k]] = optimal[k];
  return out;
}

}  // namespace

CompareFronts ParetoMarks(const std::vector<CompareEntry>& entries) {
  std::vector<std::optional<double>> acc, lat, bops;
  bool same_device = !entries.empty();
  for (const CompareEntry& e : entries) {
    const ResultView& r = e.result;
    acc.push_back(r.accuracy_final);
    lat.push_back(r.latency_final);
    bops.push_back(r.relative_bops_percent);
    same_device = same_device && r.latency_final && r.latency_unit == entries[0].result.latency_unit &&
                  r.latency_profile == entries[0].result.latency_profile;
  }
  CompareFronts f;
  f.latency = same_device ? Marks(acc, lat) : std::vector<std::optional<bool>>(entries.size());
  f.bops = Marks(acc, bops);
  return f;
}

std::string BitsPerLayer(const ResultView& v) {
  std::string out;
  for (const LayerView& l : v.layers) {
    absl::StrAppend(&out, out.empty() ? "" : " ", l.weight_bits ? absl::StrCat(*l.weight_bits) : "?", "/",
                    l.act_bits ? absl::StrCat(*l.act_bits) : "?");
  }
  return out;
}

std::string FormatCompareTable(const std::vector<CompareEntry>& entries) {
  CompareFronts f = ParetoMarks(entries);
  std::string out = absl::StrFormat("%-2s %-24s %-20s %8s %10s %16s %10s %5s  %-48s %s\n", "#", "result", "name",
                                    "top-1 %", "rel.BOPs %", "latency", "bytes", "front", "method",
                                    "bits w/a per layer");
  for (size_t i = 0; i < entries.size(); ++i) {
    const ResultView& r = entries[i].result;
    std::string latency = r.latency_final ? absl::StrCat(FormatFigure(r.latency_final, "%.6g"), " ", r.latency_unit) : "-";
    std::string front = absl::StrCat(f.latency[i] ? (*f.latency[i] ? "L" : "-") : " ",
                                     f.bops[i] ? (*f.bops[i] ? "B" : "-") : " ");
    out += absl::StrFormat("%-2d %-24s %-20s %8s %10s %16s %10s %5s  %-48s %s\n", i + 1,
                           PrintableText(entries[i].source, 24), PrintableText(r.name, 20),
                           FormatFigure(r.accuracy_final, "%.2f"), FormatFigure(r.relative_bops_percent, "%.3f"), latency,
                           r.size_final_bytes ? absl::StrCat(*r.size_final_bytes) : "-", front,
                           PrintableText(r.method, 48), BitsPerLayer(r));
  }
  out += "front: L = Pareto-optimal in (top-1, latency), B = in (top-1, relative BOPs), among these results";
  bool any_latency = false;
  for (const auto& m : f.latency) any_latency = any_latency || m.has_value();
  if (!any_latency && entries.size() > 1) out += " (latency not compared: the results differ in profile or unit)";
  return out + "\n";
}

json CompareJson(const std::vector<CompareEntry>& entries) {
  CompareFronts f = ParetoMarks(entries);
  json out = json::array();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ResultView& r = entries[i].result;
    json layers = json::array();
    for (const LayerView& l : r.layers) {
      layers.push_back({{"name", l.name},
                        {"weight_bits", Opt(l.weight_bits)},
                        {"act_bits", Opt(l.act_bits)},
                        {"channels_kept", Opt(l.channels_kept)},
                        {"channels", Opt(l.channels)}});
    }
    out.push_back({{"source", entries[i].source},
                   {"name", r.name},
                   {"model", r.model},
                   {"method", r.method},
                   {"accuracy", {{"fp32", Opt(r.accuracy_fp32)}, {"searched", Opt(r.accuracy_searched)},
                                 {"final", Opt(r.accuracy_final)}}},
                   {"relative_bops_percent", Opt(r.relative_bops_percent)},
                   {"latency", {{"final", Opt(r.latency_final)}, {"unit", r.latency_unit},
                                {"profile", r.latency_profile}, {"reduction_vs_w8a8", Opt(r.reduction_vs_w8a8)}}},
                   {"model_size_bytes", Opt(r.size_final_bytes)},
                   {"layers", layers},
                   {"pareto", {{"latency", Opt(f.latency[i])}, {"bops", Opt(f.bops[i])}}},
                   {"problems", r.problems}});
  }
  return out;
}

}  // namespace bitsearch
