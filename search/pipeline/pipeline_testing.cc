#include "search/pipeline/pipeline_testing.h"

namespace bitsearch {

absl::Status MemoryCheckpointStore::Save(const std::string& bytes) {
  saved.push_back(bytes);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MemoryCheckpointStore::Load() {
  if (resume_from) return resume_from;
  if (saved.empty()) return std::optional<std::string>();
  return std::optional<std::string>(saved.back());
}

const std::string& MemoryCheckpointStore::latest() const {
  static const std::string none;
  return saved.empty() ? none : saved.back();
}

void RecordingObserver::OnPhaseStart(const std::string& phase, int64_t) { started.push_back(phase); }

void RecordingObserver::OnProgress(const Progress& p) {
  if (!stop_phase_.empty() && p.phase == stop_phase_ && p.step >= stop_step_) stop_ = true;
  if (p.resumed) resumed_at = p.step;
  progressed.insert(p.phase);
}

void RecordingObserver::OnPhaseEnd(const std::string& phase, double, const std::string&) {
  ended.push_back(phase);
}

void RecordingObserver::OnLog(const std::string& line) { logs.push_back(line); }

nlohmann::json BaselinesWithoutTimes(const nlohmann::json& result) {
  nlohmann::json out = result.at("baselines");
  for (auto& b : out) {
    b.erase("seconds");
    if (!b.contains("ptq") || !b["ptq"].is_object()) continue;
    b["ptq"].erase("seconds");
    for (auto& layer : b["ptq"]["adaround"]) layer.erase("seconds");
  }
  return out;
}

}  // namespace bitsearch
