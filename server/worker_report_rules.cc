#include "server/worker_report_rules.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "base/quote.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace bitsearch::server {
namespace {

using nlohmann::json;

constexpr int64_t kMaxSteps = int64_t{1} << 40;
constexpr size_t kMaxLayers = 100'000;
constexpr size_t kMaxNameBytes = 256;

absl::Status Invalid(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status CheckPhase(const std::string& field, const std::string& phase, bool required) {
  if (phase.empty()) return required ? Invalid(field, "is required") : absl::OkStatus();
  if (phase.size() > kMaxPhaseNameBytes) {
    return Invalid(field, absl::StrCat("is longer than ", kMaxPhaseNameBytes, " bytes"));
  }
  // Printable ASCII without quotes or backslashes ("baseline:w8a8" is one): it becomes a
  // Prometheus label value and a line of `bitsearch watch`.
  for (char c : phase) {
    bool ok = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
    if (!ok) return Invalid(field, absl::StrCat(Quoted(phase), " is not a phase name"));
  }
  return absl::OkStatus();
}

// NaN is allowed (a diverging loss is news, not an attack); infinities and out-of-range are not.
bool InRangeOrNan(double v, double lo, double hi) {
  return std::isnan(v) || (v >= lo && v <= hi);
}

absl::Status CheckProgress(const std::string& f, const JobProgress& p) {
  BS_RETURN_IF_ERROR(CheckPhase(f + ".phase", p.phase, /*required=*/false));
  if (p.total_steps < 0 || p.total_steps > kMaxSteps) {
    return Invalid(f + ".total_steps", absl::StrCat("must be within 0..", kMaxSteps));
  }
  if (p.step < 0 || (p.total_steps > 0 && p.step > p.total_steps)) {
    return Invalid(f + ".step", absl::StrCat("must be within 0..total_steps (", p.total_steps,
                                             "), got ", p.step));
  }
  if (p.epochs < 0 || p.epoch < 0 || (p.epochs > 0 && p.epoch > p.epochs)) {
    return Invalid(f + ".epoch", absl::StrCat("must be within 0..epochs (", p.epochs, "), got ",
                                              p.epoch));
  }
  if (!InRangeOrNan(p.loss, -1e30, 1e30)) return Invalid(f + ".loss", "must be finite");
  if (!InRangeOrNan(p.accuracy, -1, 100)) return Invalid(f + ".accuracy", "must be within -1..100");
  if (!InRangeOrNan(p.expected_weight_bits, 0, 32) || !InRangeOrNan(p.expected_act_bits, 0, 32)) {
    return Invalid(f + ".expected_weight_bits", "expected bits must be within 0..32");
  }
  if (!InRangeOrNan(p.relative_bops_percent, -1, 1e6)) {
    return Invalid(f + ".relative_bops_percent", "must be within -1..1e6");
  }
  return absl::OkStatus();
}

// ---- result JSON ----

absl::Status Object(const json& v, const std::string& f) {
  return v.is_object() ? absl::OkStatus() : Invalid(f, "must be an object");
}

absl::Status NumberOrNull(const json& o, const char* key, const std::string& f, double lo,
                          double hi) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return absl::OkStatus();
  std::string field = absl::StrCat(f, ".", key);
  if (!it->is_number()) return Invalid(field, "must be a number or null");
  double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    return Invalid(field, absl::StrCat("must be within ", lo, "..", hi, ", got ", it->dump()));
  }
  return absl::OkStatus();
}

absl::Status StringOrNull(const json& o, const char* key, const std::string& f) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return absl::OkStatus();
  std::string field = absl::StrCat(f, ".", key);
  if (!it->is_string()) return Invalid(field, "must be a string or null");
  if (it->get_ref<const std::string&>().size() > kMaxNameBytes) {
    return Invalid(field, absl::StrCat("is longer than ", kMaxNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status Bits(const json& o, const char* key, const std::string& f) {
  auto it = o.find(key);
  if (it == o.end()) return absl::OkStatus();
  static const std::set<int64_t> kBits = {0, 2, 4, 8, 16, 32};
  if (!it->is_number_integer() || !kBits.count(it->get<int64_t>())) {
    return Invalid(absl::StrCat(f, ".", key), absl::StrCat("must be one of 0, 2, 4, 8, 16, 32, got ",
                                                          it->dump().substr(0, 40)));
  }
  return absl::OkStatus();
}

absl::Status Count(const json& o, const char* key, const std::string& f) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    return Invalid(absl::StrCat(f, ".", key), "must be a non-negative integer");
  }
  return absl::OkStatus();
}

absl::Status CheckLayers(const json& r) {
  auto it = r.find("layers");
  if (it == r.end()) return absl::OkStatus();
  if (!it->is_array()) return Invalid("result_json.layers", "must be an array");
  if (it->size() > kMaxLayers) return Invalid("result_json.layers", "has too many entries");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& l = (*it)[i];
    std::string f = absl::StrCat("result_json.layers[", i, "]");
    BS_RETURN_IF_ERROR(Object(l, f));
    BS_RETURN_IF_ERROR(StringOrNull(l, "name", f));
    BS_RETURN_IF_ERROR(StringOrNull(l, "type", f));
    for (const char* key : {"weight_bits", "act_bits", "searched_weight_bits", "searched_act_bits"}) {
      BS_RETURN_IF_ERROR(Bits(l, key, f));
    }
    for (const char* key : {"channels", "channels_kept", "macs", "size_bytes"}) {
      BS_RETURN_IF_ERROR(Count(l, key, f));
    }
    if (l.contains("channels") && l["channels"].is_number_integer() &&
        l.contains("channels_kept") && l["channels_kept"].is_number_integer() &&
        l["channels_kept"].get<int64_t>() > l["channels"].get<int64_t>()) {
      return Invalid(f + ".channels_kept", "must not exceed channels");
    }
    BS_RETURN_IF_ERROR(NumberOrNull(l, "latency", f, 0, 1e30));
  }
  return absl::OkStatus();
}

absl::Status CheckBaselines(const json& r) {
  auto it = r.find("baselines");
  if (it == r.end()) return absl::OkStatus();
  if (!it->is_array()) return Invalid("result_json.baselines", "must be an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& b = (*it)[i];
    std::string f = absl::StrCat("result_json.baselines[", i, "]");
    BS_RETURN_IF_ERROR(Object(b, f));
    BS_RETURN_IF_ERROR(StringOrNull(b, "name", f));
    BS_RETURN_IF_ERROR(NumberOrNull(b, "accuracy", f, 0, 100));
    BS_RETURN_IF_ERROR(NumberOrNull(b, "relative_bops_percent", f, 0, 1e6));
    BS_RETURN_IF_ERROR(NumberOrNull(b, "model_size_bytes", f, 0, 1e18));
    BS_RETURN_IF_ERROR(NumberOrNull(b, "latency", f, 0, 1e30));
    BS_RETURN_IF_ERROR(NumberOrNull(b, "seconds", f, 0, 1e9));
  }
  return absl::OkStatus();
}

absl::Status CheckResult(const json& r) {
  BS_RETURN_IF_ERROR(Object(r, "result_json"));
  BS_RETURN_IF_ERROR(StringOrNull(r, "name", "result_json"));
  if (auto acc = r.find("accuracy"); acc != r.end()) {
    BS_RETURN_IF_ERROR(Object(*acc, "result_json.accuracy"));
    for (const char* key : {"fp32", "searched", "final"}) {
      BS_RETURN_IF_ERROR(NumberOrNull(*acc, key, "result_json.accuracy", 0, 100));
    }
  }
  BS_RETURN_IF_ERROR(NumberOrNull(r, "relative_bops_percent", "result_json", 0, 1e6));
  BS_RETURN_IF_ERROR(NumberOrNull(r, "relative_bops_percent_searched", "result_json", 0, 1e6));
  if (auto lat = r.find("latency"); lat != r.end()) {
    BS_RETURN_IF_ERROR(Object(*lat, "result_json.latency"));
    BS_RETURN_IF_ERROR(StringOrNull(*lat, "unit", "result_json.latency"));
    BS_RETURN_IF_ERROR(StringOrNull(*lat, "profile", "result_json.latency"));
    for (const char* key : {"fp32", "w8a8", "searched", "final"}) {
      BS_RETURN_IF_ERROR(NumberOrNull(*lat, key, "result_json.latency", 0, 1e30));
    }
    BS_RETURN_IF_ERROR(NumberOrNull(*lat, "reduction_vs_w8a8", "result_json.latency", -1e9, 1e9));
  }
  if (auto size = r.find("model_size_bytes"); size != r.end()) {
    BS_RETURN_IF_ERROR(Object(*size, "result_json.model_size_bytes"));
    for (const char* key : {"fp32", "final"}) {
      BS_RETURN_IF_ERROR(NumberOrNull(*size, key, "result_json.model_size_bytes", 0, 1e18));
    }
  }
  BS_RETURN_IF_ERROR(CheckLayers(r));
  BS_RETURN_IF_ERROR(CheckBaselines(r));
  if (auto t = r.find("timings"); t != r.end()) {
    BS_RETURN_IF_ERROR(Object(*t, "result_json.timings"));
    for (auto it = t->begin(); it != t->end(); ++it) {
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
        return Invalid(absl::StrCat("result_json.timings.", Quoted(it.key(), 40)),
                       "must be a non-negative number of seconds");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateWorkerEvents(const std::vector<JobEvent>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    const JobEvent& e = events[i];
    std::string f = absl::StrCat("events[", i, "]");
    if (e.message.size() > kMaxEventMessageBytes) {
      return Invalid(f + ".message", absl::StrCat("is longer than ", kMaxEventMessageBytes, " bytes"));
    }
    switch (e.type) {
      case JobEvent::Type::kPhaseStart:
        BS_RETURN_IF_ERROR(CheckPhase(f + ".phase", e.phase, /*required=*/true));
        if (e.total_steps < 0 || e.total_steps > kMaxSteps) {
          return Invalid(f + ".total_steps", absl::StrCat("must be within 0..", kMaxSteps));
        }
        break;
      case JobEvent::Type::kPhaseEnd:
        BS_RETURN_IF_ERROR(CheckPhase(f + ".phase", e.phase, /*required=*/true));
        if (!std::isfinite(e.seconds) || e.seconds < 0 || e.seconds > 1e9) {
          return Invalid(f + ".seconds", "must be a finite, non-negative duration");
        }
        break;
      case JobEvent::Type::kProgress:
        BS_RETURN_IF_ERROR(CheckPhase(f + ".phase", e.phase, /*required=*/false));
        if (!e.progress) return Invalid(f + ".progress", "is required for a progress event");
        BS_RETURN_IF_ERROR(CheckProgress(f + ".progress", *e.progress));
        break;
      case JobEvent::Type::kLog:
        BS_RETURN_IF_ERROR(CheckPhase(f + ".phase", e.phase, /*required=*/false));
        break;
      default:
        return Invalid(f + ".type", "workers may only report phase, progress and log events");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateResultJson(const std::string& result_json, int64_t max_bytes) {
  if (static_cast<int64_t>(result_json.size()) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("result_json is ", result_json.size(),
                                                   " bytes; the limit is ", max_bytes));
  }
  json parsed = json::parse(result_json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::InvalidArgumentError("result_json is not valid JSON");
  return CheckResult(parsed);
}

}  // namespace bitsearch::server
