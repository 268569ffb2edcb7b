#include "client/result_table.h"

#include <cstdio>

#include "absl/strings/str_format.h"

namespace bitsearch {
namespace {

using nlohmann::json;

// A number with a printf format, or "-" where the result has none (null before latency lands).
std::string Num(const json& v, const char* fmt = "%.2f") {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v.get<double>());
  return buf;
}

}  // namespace

std::string FormatResultTable(const json& r) {
  std::string out;
  out += absl::StrFormat("%-22s %-6s %6s %6s %6s %6s %14s %12s %12s\n", "layer", "type", "w bits",
                         "a bits", "w srch", "a srch", "channels kept", "MACs", "latency");
  for (const json& l : r.value("layers", json::array())) {
    out += absl::StrFormat("%-22s %-6s %6d %6d %6d %6d %7lld/%-6lld %12lld %12s\n",
                           l.value("name", ""), l.value("type", ""), l.value("weight_bits", 0),
                           l.value("act_bits", 0), l.value("searched_weight_bits", 0),
                           l.value("searched_act_bits", 0),
                           static_cast<long long>(l.value("channels_kept", int64_t{0})),
                           static_cast<long long>(l.value("channels", int64_t{0})),
                           static_cast<long long>(l.value("macs", int64_t{0})),
                           Num(l.value("latency", json()), "%.4g"));
  }
  const json acc = r.value("accuracy", json::object());
  out += absl::StrFormat("\naccuracy      fp32 %s%%  searched %s%%  final %s%%\n",
                         Num(acc.value("fp32", json())), Num(acc.value("searched", json())),
                         Num(acc.value("final", json())));
  out += absl::StrFormat("relative BOPs %s%% (searched %s%%)\n",
                         Num(r.value("relative_bops_percent", json()), "%.3f"),
                         Num(r.value("relative_bops_percent_searched", json()), "%.3f"));
  const json size = r.value("model_size_bytes", json::object());
  out += absl::StrFormat("model size    %s bytes (fp32 %s bytes)\n", Num(size.value("final", json()), "%.0f"),
                         Num(size.value("fp32", json()), "%.0f"));
  const json lat = r.value("latency", json::object());
  if (lat.value("final", json()).is_number()) {
    out += absl::StrFormat("latency       final %s  w8a8 %s  searched %s  fp32 %s %s (%s%% less than w8a8)\n",
                           Num(lat["final"], "%.4g"), Num(lat.value("w8a8", json()), "%.4g"),
                           Num(lat.value("searched", json()), "%.4g"), Num(lat.value("fp32", json()), "%.4g"),
                           lat.value("unit", ""), Num(lat.value("reduction_vs_w8a8", json()), "%.1f"));
  }
  for (const json& b : r.value("baselines", json::array())) {
    out += absl::StrFormat("baseline %-5s top-1 %s%%  relative BOPs %s%%  latency %s\n",
                           b.value("name", ""), Num(b.value("accuracy", json())),
                           Num(b.value("relative_bops_percent", json()), "%.3f"),
                           Num(b.value("latency", json()), "%.4g"));
  }
  return out;
}

}  // namespace bitsearch
