#include "search/pipeline/job_state.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace bitsearch {
namespace {

using nlohmann::json;

constexpr char kFormat[] = "job-state-1";

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(); }

std::optional<double> OptionalDouble(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<double>();
}

std::optional<BitConfig> OptionalConfig(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return BitConfigFromJson(j.at(key));
}

// Reads `key` with T::FromJson into `out` unless it is null.
template <typename T>
absl::Status OptionalReport(const json& j, const char* key, std::optional<T>* out) {
  if (j.at(key).is_null()) return absl::OkStatus();
  auto parsed = T::FromJson(j.at(key));
  if (!parsed.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("checkpoint: ", parsed.status().message()));
  }
  *out = std::move(*parsed);
  return absl::OkStatus();
}

}  // namespace

json JobState::ToJson() const {
  json baselines_json = json::object();
  for (const auto& [name, b] : baselines) {
    baselines_json[name] = {{"accuracy", b.accuracy}, {"config", BitConfigToJson(b.config)},
                            {"report", b.report}};
  }
  return {{"format", kFormat},
          {"spec", spec},
          {"threads", threads},
          {"device", device},
          {"blas_core", blas_core},
          {"done", done},
          {"timings", timings},
          {"phase", phase},
          {"epoch", cursor.epoch},
          {"step_in_epoch", cursor.step_in_epoch},
          {"accuracy_fp32", Optional(accuracy_fp32)},
          {"pretrain_cache", pretrain_cache},
          {"accuracy_searched", Optional(accuracy_searched)},
          {"config_searched", config_searched ? BitConfigToJson(*config_searched) : json()},
          {"refine", refine ? refine->ToJson() : json()},
          {"config_final", config_final ? BitConfigToJson(*config_final) : json()},
          {"accuracy_adaround", Optional(accuracy_adaround)},
          {"adaround", adaround},
          {"accuracy_final", Optional(accuracy_final)},
          {"export", exported ? exported->ToJson() : json()},
          {"baselines", baselines_json},
          {"method_state", method_state},
          {"ptq_report", ptq_report},
          {"comparisons", comparisons},
          {"preprocessing", preprocessing},
          {"data", data},
          {"warnings", warnings}};
}

absl::StatusOr<JobState> JobState::FromJson(const json& j) {
  if (!j.is_object() || j.value("format", "") != kFormat) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint: job state of another format (want ", kFormat,
        "); it was written by another bitsearch version: delete it or run without resuming"));
  }
  JobState s;
  try {
    s.spec = j.at("spec");
    s.threads = j.at("threads").get<int>();
    s.blas_core = j.value("blas_core", "");
    s.device = j.value("device", "cpu");  // checkpoints before devices were wired ran on the CPU
    s.done = j.at("done").get<std::set<std::string>>();
    s.timings = j.at("timings").get<std::map<std::string, double>>();
    s.phase = j.at("phase").get<std::string>();
    s.cursor.epoch = j.at("epoch").get<int>();
    s.cursor.step_in_epoch = j.at("step_in_epoch").get<int64_t>();
    s.accuracy_fp32 = OptionalDouble(j, "accuracy_fp32");
    s.pretrain_cache = j.at("pretrain_cache").get<std::string>();
    s.accuracy_searched = OptionalDouble(j, "accuracy_searched");
    s.config_searched = OptionalConfig(j, "config_searched");
    BS_RETURN_IF_ERROR(OptionalReport(j, "refine", &s.refine));
    s.config_final = OptionalConfig(j, "config_final");
    s.accuracy_adaround = OptionalDouble(j, "accuracy_adaround");
    s.adaround = j.value("adaround", json());  // absent in states written before it existed
    s.accuracy_final = OptionalDouble(j, "accuracy_final");
    BS_RETURN_IF_ERROR(OptionalReport(j, "export", &s.exported));
    for (const auto& [name, b] : j.at("baselines").items()) {
      s.baselines[name] = {b.at("accuracy").get<double>(), BitConfigFromJson(b.at("config")),
                           b.value("report", json())};
    }
    s.method_state = j.at("method_state");
    s.ptq_report = j.value("ptq_report", json());  // absent in states written before it
    if (j.contains("comparisons")) {  // likewise
      s.comparisons = j.at("comparisons").get<std::map<std::string, json>>();
    }
    s.preprocessing = j.at("preprocessing");
    s.data = j.at("data");
    s.warnings = j.at("warnings").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat("checkpoint: job state: ", e.what()));
  }
  return s;
}

}  // namespace bitsearch
