#include "search/sweep.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/json_text.h"
#include "base/status_macros.h"

namespace bitsearch {
namespace {

using nlohmann::json;

constexpr size_t kMaxNameBytes = 128;  // as ParseJobSpec allows for "name"

// Fields a sweep may not vary: the points' names are derived from the sweep's, and the version
// and the block itself are not settings of a job.
const std::set<std::string>& UnsweepableFields() {
  static const auto* fields = new std::set<std::string>{"name", "version", "sweep"};
  return *fields;
}

// A value as the user wrote it, short enough for an error message.
std::string Shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() <= 60 ? s : s.substr(0, 57) + "...";
}

absl::Status CheckFieldName(const std::string& field, const std::string& where) {
  if (field.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": field name is empty"));
  if (field.size() > 100) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field name is too long"));
  }
  for (char c : field) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": \"", field, "\" is not a dotted field path like search.mu"));
    }
  }
  for (absl::string_view part : absl::StrSplit(field, '.')) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": \"", field, "\" has an empty part"));
    }
  }
  if (UnsweepableFields().count(field.substr(0, field.find('.')))) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", field,
                                                   "\" cannot be swept (points are named after "
                                                   "the sweep's name)"));
  }
  return absl::OkStatus();
}

absl::Status CheckAxis(const SweepAxis& axis, const std::string& where) {
  BS_RETURN_IF_ERROR(CheckFieldName(axis.field, where));
  if (axis.values.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": list at least one value"));
  }
  for (size_t i = 0; i < axis.values.size(); ++i) {
    for (size_t k = 0; k < i; ++k) {
      if (axis.values[k] == axis.values[i]) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "[", i, "]: value ", Shown(axis.values[i]), " is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

// Sets the dotted `field` of `spec` to `value`, creating missing objects on the way.
absl::Status SetField(json& spec, const std::string& field, const json& value) {
  std::vector<std::string> parts = absl::StrSplit(field, '.');
  json* at = &spec;
  std::string path;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    path = path.empty() ? parts[i] : absl::StrCat(path, ".", parts[i]);
    json& next = (*at)[parts[i]];
    if (next.is_null()) next = json::object();
    if (!next.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " is not an object in the spec, so it has no field \"", parts[i + 1],
          "\" (write it in its object form)"));
    }
    at = &next;
  }
  (*at)[parts.back()] = value;
  return absl::OkStatus();
}

// The part of a point's name one setting gives: "mu0.1" for numbers and booleans, the value
// itself for strings ("pulp-xpulpv2"); characters outside [A-Za-z0-9._-] become '_'.
std::string NamePart(const std::string& field, const json& value) {
  std::string leaf = field.substr(field.rfind('.') + 1);
  std::string text = value.is_string() ? value.get<std::string>()
                                       : absl::StrCat(leaf, value.dump(-1, ' ', false,
                                                                       json::error_handler_t::replace));
  for (char& c : text) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      c = '_';
    }
  }
  return text;
}

// Names every point "<name>-<part>-<part>..."; where that is too long or not unique, by index.
void NamePoints(const std::string& name, const std::vector<std::vector<std::string>>& parts,
                std::vector<SweepPoint>& points) {
  std::set<std::string> used;
  for (size_t i = 0; i < points.size(); ++i) {
    std::string full = parts[i].empty() ? name : absl::StrCat(name, "-", absl::StrJoin(parts[i], "-"));
    if (full.size() > kMaxNameBytes || used.count(full)) {
      std::string suffix = absl::StrCat("-p", i + 1);
      full = name.substr(0, kMaxNameBytes - suffix.size()) + suffix;
    }
    used.insert(full);
    points[i].spec.name = full;
  }
}

}  // namespace

absl::StatusOr<SweepAxis> ParseSetOption(const std::string& option) {
  const std::string where = absl::StrCat("--set ", option.substr(0, 80));
  size_t eq = option.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected FIELD=VALUE[,VALUE...], e.g. search.mu=0.01,0.1,1"));
  }
  SweepAxis axis;
  axis.field = std::string(absl::StripAsciiWhitespace(absl::string_view(option).substr(0, eq)));
  for (absl::string_view raw : absl::StrSplit(absl::string_view(option).substr(eq + 1), ',')) {
    std::string v(absl::StripAsciiWhitespace(raw));
    if (v.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": a value is empty"));
    json parsed = json::parse(v, nullptr, /*allow_exceptions=*/false);
    axis.values.push_back(parsed.is_discarded() ? json(v) : parsed);
  }
  BS_RETURN_IF_ERROR(CheckAxis(axis, where));
  return axis;
}

bool HasSweepBlock(const json& spec) { return spec.is_object() && spec.contains("sweep"); }

absl::StatusOr<SweepPlan> ExpandSweep(const json& spec, const std::vector<SweepAxis>& overrides) {
  if (!spec.is_object()) return absl::InvalidArgumentError("spec: expected a JSON object");
  SweepPlan plan;
  plan.base = spec;
  plan.base.erase("sweep");
  if (const auto it = spec.find("sweep"); it != spec.end()) {
    if (!it->is_object()) {
      return absl::InvalidArgumentError(
          "sweep: expected an object of fields and their values, e.g. {\"search.mu\": [0.01, 0.1]}");
    }
    for (const auto& [field, values] : it->items()) {
      const std::string where = absl::StrCat("sweep.", field);
      if (!values.is_array()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": expected an array of values"));
      }
      SweepAxis axis{field, std::vector<json>(values.begin(), values.end())};
      BS_RETURN_IF_ERROR(CheckAxis(axis, where));
      plan.axes.push_back(std::move(axis));
    }
  }
  for (const SweepAxis& o : overrides) {
    BS_RETURN_IF_ERROR(CheckAxis(o, absl::StrCat("--set ", o.field)));
    auto same = std::find_if(plan.axes.begin(), plan.axes.end(),
                             [&](const SweepAxis& a) { return a.field == o.field; });
    if (same != plan.axes.end()) {
      *same = o;
    } else {
      plan.axes.push_back(o);
    }
  }
  // The base must be a valid spec on its own (its own values of the swept fields included), so
  // that an error in it is reported once and not as an error of every point.
  {
    absl::StatusOr<JobSpec> base = ParseJobSpec(plan.base);
    if (!base.ok()) return base.status();
    plan.name = base->name;
  }
  size_t count = 1;
  for (const SweepAxis& a : plan.axes) {
    count *= a.values.size();
    if (count > kMaxSweepPoints) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sweep: the fields' values give more than ", kMaxSweepPoints, " points"));
    }
  }
  // Each field and value on its own first: the error names the value at fault, not a point.
  for (const SweepAxis& a : plan.axes) {
    for (size_t i = 0; i < a.values.size(); ++i) {
      json one = plan.base;
      absl::Status st = SetField(one, a.field, a.values[i]);
      if (st.ok()) st = ParseJobSpec(one).status();
      if (!st.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("sweep.", a.field, "[", i, "] = ",
                                                       Shown(a.values[i]), ": ", st.message()));
      }
    }
  }
  std::vector<std::vector<std::string>> name_parts;
  for (size_t index = 0; index < count; ++index) {
    json point = plan.base;
    json settings = json::object();
    std::vector<std::string> parts;
    size_t rest = index;
    size_t stride = count;
    for (const SweepAxis& a : plan.axes) {
      stride /= a.values.size();
      const json& value = a.values[rest / stride];
      rest %= stride;
      BS_RETURN_IF_ERROR(SetField(point, a.field, value));
      settings[a.field] = value;
      if (a.values.size() > 1) parts.push_back(NamePart(a.field, value));
    }
    absl::StatusOr<JobSpec> parsed = ParseJobSpec(point);
    if (!parsed.ok()) {  // values valid alone but not together
      return absl::InvalidArgumentError(
          absl::StrCat("sweep point ", Shown(settings), ": ", parsed.status().message()));
    }
    plan.points.push_back({std::move(*parsed), std::move(settings)});
    name_parts.push_back(std::move(parts));
  }
  NamePoints(plan.name, name_parts, plan.points);
  return plan;
}

absl::StatusOr<SweepPlan> ExpandSweepText(const std::string& text,
                                          const std::vector<SweepAxis>& overrides) {
  BS_ASSIGN_OR_RETURN(json j, ParseJsonText(text, "spec"));
  return ExpandSweep(j, overrides);
}

json SweepAxesJson(const std::vector<SweepAxis>& axes) {
  json out = json::object();
  for (const SweepAxis& a : axes) out[a.field] = a.values;
  return out;
}

json SweepSpecJson(const SweepPlan& plan) {
  json out = plan.base;
  if (!plan.axes.empty()) out["sweep"] = SweepAxesJson(plan.axes);
  return out;
}

}  // namespace bitsearch
