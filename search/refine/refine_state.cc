#include "search/refine/refine_state.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bitsearch::refine::internal {

absl::StatusOr<RefineState> RefineState::Create(const RefineProblem& problem,
                                                const LatencyModel& model) {
  RefineState s(problem, model);
  if (problem.candidate_bits.empty()) {
    return absl::InvalidArgumentError("candidate_bits: empty");
  }
  for (int b : problem.candidate_bits) {
    if (b < 1 || b > 32) {
      return absl::InvalidArgumentError(absl::StrCat("candidate_bits: ", b, " is outside 1..32"));
    }
  }
  std::set<int> cands(problem.candidate_bits.begin(), problem.candidate_bits.end());
  s.candidates_.assign(cands.begin(), cands.end());

  std::unordered_map<std::string, int> tensor_index;
  for (size_t t = 0; t < problem.act_tensors.size(); ++t) {
    const ActTensor& a = problem.act_tensors[t];
    if (!tensor_index.emplace(a.id, static_cast<int>(t)).second) {
      return absl::InvalidArgumentError(absl::StrCat("activation tensor '", a.id, "' listed twice"));
    }
    if (a.bits < 0 || a.bits > 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("activation tensor '", a.id, "': bits ", a.bits, " outside 0..32"));
    }
    s.act_bits_.push_back(a.bits);
  }
  s.consumers_.resize(problem.act_tensors.size());
  s.cache_.resize(problem.layers.size());
  s.errors_.resize(problem.layers.size());
  for (size_t l = 0; l < problem.layers.size(); ++l) {
    const RefineLayer& layer = problem.layers[l];
    auto it = tensor_index.find(layer.act_tensor);
    if (it == tensor_index.end()) {
      return absl::InvalidArgumentError(absl::StrCat("layer '", layer.name,
                                                     "': unknown activation tensor '",
                                                     layer.act_tensor, "'"));
    }
    if (layer.weight_bits < 0 || layer.weight_bits > 32) {
      return absl::InvalidArgumentError(absl::StrCat("layer '", layer.name, "': weight bits ",
                                                     layer.weight_bits, " outside 0..32"));
    }
    if (!(layer.kept_mac_fraction >= 0.0 && layer.kept_mac_fraction <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat("layer '", layer.name,
                                                     "': kept_mac_fraction outside [0, 1]"));
    }
    s.tensor_of_.push_back(it->second);
    s.weight_bits_.push_back(layer.weight_bits);
    const bool active = layer.weight_bits > 0 && layer.kept_mac_fraction > 0.0 &&
                        problem.act_tensors[it->second].bits > 0;
    s.active_.push_back(active);
    if (active) s.consumers_[it->second].push_back(static_cast<int>(l));
  }
  return s;
}

double RefineState::LayerLatency(int l, int a, int w) {
  if (!active_[l]) return 0.0;
  const int key = a * 33 + w;
  for (const auto& [k, v] : cache_[l]) {
    if (k == key) return v;
  }
  const RefineLayer& layer = problem_->layers[l];
  absl::StatusOr<double> v = model_->Latency(layer.signature, a, w);
  double value = std::numeric_limits<double>::infinity();
  if (v.ok()) {
    value = *v * layer.kept_mac_fraction;
  } else if (errors_[l].ok()) {
    errors_[l] = v.status();
  }
  cache_[l].emplace_back(key, value);
  return value;
}

double RefineState::GroupLatency(int t, int a) {
  double sum = 0.0;
  for (int l : consumers_[t]) sum += LayerLatency(l, a, weight_bits_[l]);
  return sum;
}

double RefineState::TotalLatency() {
  double sum = 0.0;
  for (int l = 0; l < num_layers(); ++l) {
    sum += LayerLatency(l, act_bits_[tensor_of_[l]], weight_bits_[l]);
  }
  return sum;
}

std::vector<double> RefineState::PerLayerLatency() {
  std::vector<double> out;
  for (int l = 0; l < num_layers(); ++l) {
    out.push_back(LayerLatency(l, act_bits_[tensor_of_[l]], weight_bits_[l]));
  }
  return out;
}

absl::Status RefineState::CheckCurrentPriced() {
  for (int l = 0; l < num_layers(); ++l) {
    const int a = act_bits_[tensor_of_[l]];
    if (std::isinf(LayerLatency(l, a, weight_bits_[l]))) {
      const absl::Status& st = errors_[l];
      return absl::Status(st.ok() ? absl::StatusCode::kInvalidArgument : st.code(),
                          absl::StrCat("layer '", problem_->layers[l].name, "' at a", a, "/w",
                                       weight_bits_[l], ": ", st.message()));
    }
  }
  return absl::OkStatus();
}

std::vector<int> RefineState::CandidatesAbove(int bits) const {
  std::vector<int> out;
  for (int c : candidates_) {
    if (c > bits) out.push_back(c);
  }
  return out;
}

int RefineState::NextLowerCandidate(int bits) const {
  int best = 0;
  for (int c : candidates_) {
    if (c < bits) best = c;
  }
  return best;
}

BitConfig RefineState::Config() const {
  BitConfig c;
  c.weight_bits = weight_bits_;
  for (int t = 0; t < num_tensors(); ++t) c.act_bits[problem_->act_tensors[t].id] = act_bits_[t];
  return c;
}

}  // namespace bitsearch::refine::internal
