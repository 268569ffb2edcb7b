#include "latency_models/profile_json.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "base/json_text.h"
#include "base/quote.h"
#include "base/status_macros.h"
#include "latency_models/analytic_model.h"
#include "latency_models/bops_model.h"
#include "latency_models/measured_csv.h"
#include "nlohmann/json.hpp"

namespace bitsearch {
namespace {

using nlohmann::json;

absl::Status Bad(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("profile field '", field, "': ", why));
}

absl::Status CheckKeys(const json& obj, const std::string& prefix,
                       const std::set<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!known.count(it.key())) return Bad(prefix + it.key(), "unknown field");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const json& obj, const std::string& key,
                                      const std::string& prefix, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return Bad(prefix + key, "required");
    return std::string();
  }
  if (!it->is_string()) return Bad(prefix + key, "expected a string");
  return it->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> GetStringList(const json& obj, const std::string& key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end()) return out;
  if (!it->is_array()) return Bad(key, "expected an array of strings");
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) return Bad(absl::StrCat(key, "[", i, "]"), "expected a string");
    out.push_back((*it)[i].get<std::string>());
  }
  return out;
}

absl::StatusOr<double> GetNumber(const json& obj, const std::string& key, const std::string& path,
                                 double fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number()) return Bad(path + key, "expected a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) return Bad(path + key, "must be finite");
  return v;
}

absl::StatusOr<std::unique_ptr<LatencyModel>> ParseAnalytic(const json& root,
                                                            const ProfileInfo& info) {
  auto it = root.find("analytic");
  if (it == root.end() || !it->is_object()) return Bad("analytic", "required object");
  const json& a = *it;
  const std::string p = "analytic.";
  if (absl::Status st = CheckKeys(a, p, {"bits", "macs_per_cycle", "per_layer_overhead",
                                         "bytes_per_cycle", "overlap_memory",
                                         "depthwise_efficiency"});
      !st.ok()) {
    return st;
  }
  AnalyticParams params;
  params.name = info.name;
  params.unit = info.unit;
  auto bits_it = a.find("bits");
  if (bits_it == a.end() || !bits_it->is_array() || bits_it->empty()) {
    return Bad(p + "bits", "required non-empty array of bit widths");
  }
  std::vector<int> bits;
  for (size_t i = 0; i < bits_it->size(); ++i) {
    const json& b = (*bits_it)[i];
    if (!b.is_number_integer() || !IsSupportedBitWidth(b.get<int>())) {
      return Bad(absl::StrCat(p, "bits[", i, "]"), "expected an integer in 1..32");
    }
    bits.push_back(b.get<int>());
  }
  if (std::set<int>(bits.begin(), bits.end()).size() != bits.size()) {
    return Bad(p + "bits", "a bit width is listed twice");
  }
  auto m = a.find("macs_per_cycle");
  if (m == a.end() || !m->is_array() || m->size() != bits.size()) {
    return Bad(p + "macs_per_cycle",
               absl::StrCat("expected ", bits.size(), " rows (one per activation bit width)"));
  }
  for (size_t i = 0; i < bits.size(); ++i) {
    const json& row = (*m)[i];
    const std::string rp = absl::StrCat(p, "macs_per_cycle[", i, "]");
    if (!row.is_array() || row.size() != bits.size()) {
      return Bad(rp, absl::StrCat("expected ", bits.size(), " values (one per weight bit width)"));
    }
    for (size_t j = 0; j < bits.size(); ++j) {
      const std::string vp = absl::StrCat(rp, "[", j, "]");
      if (!row[j].is_number()) return Bad(vp, "expected a number");
      const double v = row[j].get<double>();
      if (!(v > 0.0) || !std::isfinite(v)) return Bad(vp, "must be a positive number");
      params.macs_per_cycle[{bits[i], bits[j]}] = v;
    }
  }
  absl::StatusOr<double> v = GetNumber(a, "per_layer_overhead", p, 0.0);
  if (!v.ok()) return v.status();
  if (*v < 0) return Bad(p + "per_layer_overhead", "must be >= 0");
  params.per_layer_overhead = *v;
  v = GetNumber(a, "bytes_per_cycle", p, 0.0);
  if (!v.ok()) return v.status();
  if (*v < 0) return Bad(p + "bytes_per_cycle", "must be >= 0 (0 disables the memory term)");
  params.bytes_per_cycle = *v;
  v = GetNumber(a, "depthwise_efficiency", p, 1.0);
  if (!v.ok()) return v.status();
  if (!(*v > 0 && *v <= 1)) return Bad(p + "depthwise_efficiency", "must be in (0, 1]");
  params.depthwise_efficiency = *v;
  if (auto o = a.find("overlap_memory"); o != a.end()) {
    if (!o->is_boolean()) return Bad(p + "overlap_memory", "expected true or false");
    params.overlap_memory = o->get<bool>();
  }
  absl::StatusOr<std::unique_ptr<AnalyticModel>> model = AnalyticModel::Create(std::move(params));
  if (!model.ok()) return model.status();
  return std::unique_ptr<LatencyModel>(std::move(*model));
}

absl::StatusOr<std::unique_ptr<LatencyModel>> ParseTable(const json& root,
                                                         const ProfileInfo& info) {
  auto it = root.find("table");
  if (it == root.end() || !it->is_object()) return Bad("table", "required object");
  if (absl::Status st = CheckKeys(*it, "table.", {"allow_fallback", "csv"}); !st.ok()) return st;
  bool allow_fallback = false;
  if (auto f = it->find("allow_fallback"); f != it->end()) {
    if (!f->is_boolean()) return Bad("table.allow_fallback", "expected true or false");
    allow_fallback = f->get<bool>();
  }
  absl::StatusOr<std::string> csv = GetString(*it, "csv", "table.", true);
  if (!csv.ok()) return csv.status();
  absl::StatusOr<std::vector<LatencyRow>> rows =
      ParseMeasuredCsv(*csv, absl::StrCat("profile '", info.name, "' table.csv"));
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::unique_ptr<LookupTableModel>> model =
      LookupTableModel::Create(info.name, info.unit, *rows, allow_fallback);
  if (!model.ok()) return model.status();
  return std::unique_ptr<LatencyModel>(std::move(*model));
}

}  // namespace

absl::Status ValidateProfileName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad profile name ", Quoted(name), ": must be 1 to 64 characters"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.'))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad profile name ", Quoted(name), ": character ", i + 1,
          " not allowed (use a-z, 0-9 and . _ -, starting with a letter or digit)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedProfile> ParseProfileJson(const std::string& json_text) {
  BS_ASSIGN_OR_RETURN(json root, ParseJsonText(json_text, "profile"));
  if (!root.is_object()) return absl::InvalidArgumentError("profile: expected a JSON object");
  if (absl::Status st = CheckKeys(root, "", {"name", "kind", "unit", "description", "sources",
                                             "assumptions", "analytic", "table"});
      !st.ok()) {
    return st;
  }
  ParsedProfile out;
  ProfileInfo& info = out.info;
  absl::StatusOr<std::string> s = GetString(root, "name", "", true);
  if (!s.ok()) return s.status();
  info.name = *s;
  if (absl::Status st = ValidateProfileName(info.name); !st.ok()) {
    return Bad("name", std::string(st.message()));
  }
  if (s = GetString(root, "kind", "", true); !s.ok()) return s.status();
  info.kind = *s;
  if (s = GetString(root, "unit", "", info.kind != "bops"); !s.ok()) return s.status();
  info.unit = *s;
  if (s = GetString(root, "description", "", false); !s.ok()) return s.status();
  info.description = *s;
  absl::StatusOr<std::vector<std::string>> list = GetStringList(root, "sources");
  if (!list.ok()) return list.status();
  info.sources = *list;
  if (list = GetStringList(root, "assumptions"); !list.ok()) return list.status();
  info.assumptions = *list;

  if (info.kind == "bops") {
    if (!info.unit.empty() && info.unit != "bops") return Bad("unit", "a bops profile counts bops");
    info.unit = "bops";
    out.model = std::make_unique<BopsModel>(info.name);
    return out;
  }
  if (info.unit != "cycles" && info.unit != "seconds") {
    return Bad("unit", absl::StrCat("'", info.unit, "' is not cycles or seconds"));
  }
  absl::StatusOr<std::unique_ptr<LatencyModel>> model;
  if (info.kind == "analytic") {
    model = ParseAnalytic(root, info);
  } else if (info.kind == "lut") {
    model = ParseTable(root, info);
  } else {
    return Bad("kind", absl::StrCat("'", info.kind, "' is not analytic, lut or bops"));
  }
  if (!model.ok()) return model.status();
  out.model = std::move(*model);
  return out;
}

std::string LutProfileJson(const std::string& name, const std::string& unit,
                           const std::string& description, const std::vector<LatencyRow>& rows,
                           bool allow_fallback) {
  json j{{"name", name},
         {"kind", "lut"},
         {"unit", unit},
         {"description", description},
         {"sources", json::array({"measured on the device by the user (profiles import)"})},
         {"table", {{"allow_fallback", allow_fallback}, {"csv", RowsToCsv(rows)}}}};
  return j.dump(2) + "\n";
}

}  // namespace bitsearch
