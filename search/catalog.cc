#include "search/catalog.h"

#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace bitsearch {
namespace {

std::vector<StrategyInfo> Builtins(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kZooModel:
      return {
          {"lenet5", "LeNet-5 as in Bayesian Bits: conv32-5x5, pool, conv64-5x5, pool, FC 1024->512, FC"},
          {"vgg7", "VGG-7 with BN: 128-128-P-256-256-P-512-512-P, FC 8192->1024, FC (width multiplier)"},
          {"resnet8", "CIFAR-style ResNet-8: stem + 3 basic blocks (16/32/64) with residual adds"},
          {"mobilenetv2", "MobileNetV2, small-input variant (stride-1 stem), width multiplier"},
      };
    case StrategyKind::kSearchMethod:
      return {{"bayesian_bits",
               "Bayesian Bits: gated residual quantizers with hard-concrete gates, trained with a prior"},
              {"fracbits",
               "FracBits: real-valued bit widths blended between 2/4/8/16, trained towards a "
               "relative-BOPs or latency target, rounded to the grid at 80% of the search within 1% "
               "of the target (one offset by bisection, then single-tensor steps); no "
               "pruning (a Bayesian Bits feature)"},
              {"none",
               "no search: post-training quantization at the \"ptq\" block's bits (ranges, CLE, "
               "bias correction, AdaRound), then export"}};
    case StrategyKind::kPrior:
      return {{"bops", "expected bit operations, each gate weighted by its bit width (the paper's prior)"},
              {"latency", "expected latency on the job's hardware profile, normalised at max_bits"}};
    case StrategyKind::kRefineMethod:
      return {{"freebits", "Free Bits: raise precision where the profile is faster; budget mode lowers it"},
              {"none", "keep the searched configuration as it is"}};
    case StrategyKind::kBaseline:
      return {{"w8a8", "8-bit weights and activations, trained like the fine-tune (QAT)"},
              {"w4a8", "4-bit weights, 8-bit activations (QAT)"},
              {"w4a4", "4-bit weights and activations (QAT)"},
              {"w2a2", "2-bit weights and activations (QAT)"},
              {"ptq-w8a8", "8-bit weights and activations, post-training (MSE ranges, no training)"},
              {"ptq-w4a8", "4-bit weights, 8-bit activations, post-training (MSE ranges)"},
              {"ptq-w4a8-adaround", "4-bit weights, 8-bit activations, post-training with AdaRound"}};
    case StrategyKind::kFinetuneMethod:
      return {{"qat", "quantization-aware fine-tune at the final bits (finetune.epochs, lr)"},
              {"adaround", "AdaRound of the weights at the final bits, pruned channels kept; no training"},
              {"adaround+qat", "AdaRound, then the quantization-aware fine-tune from its weights"}};
  }
  return {};
}

struct Added {
  std::mutex mu;
  std::map<StrategyKind, std::vector<StrategyInfo>> entries;
};

Added& RunTimeEntries() {
  static Added* added = new Added;  // never destroyed: read until the process exits
  return *added;
}

}  // namespace

const char* StrategyKindName(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kZooModel: return "zoo model";
    case StrategyKind::kSearchMethod: return "search method";
    case StrategyKind::kPrior: return "prior";
    case StrategyKind::kRefineMethod: return "refine method";
    case StrategyKind::kBaseline: return "baseline";
    case StrategyKind::kFinetuneMethod: return "fine-tune method";
  }
  return "strategy";
}

std::vector<StrategyInfo> ListStrategies(StrategyKind kind) {
  std::vector<StrategyInfo> out = Builtins(kind);
  Added& added = RunTimeEntries();
  std::lock_guard<std::mutex> lock(added.mu);
  auto it = added.entries.find(kind);
  if (it != added.entries.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  return out;
}

std::vector<std::string> StrategyNames(StrategyKind kind) {
  std::vector<std::string> names;
  for (const StrategyInfo& s : ListStrategies(kind)) names.push_back(s.name);
  return names;
}

bool HasStrategy(StrategyKind kind, const std::string& name) {
  for (const StrategyInfo& s : ListStrategies(kind)) {
    if (s.name == name) return true;
  }
  return false;
}

absl::Status AddStrategy(StrategyKind kind, StrategyInfo info) {
  if (info.name.empty()) return absl::InvalidArgumentError("a strategy needs a name");
  Added& added = RunTimeEntries();
  std::lock_guard<std::mutex> lock(added.mu);  // checked and added under one lock
  std::vector<StrategyInfo> existing = Builtins(kind);
  const auto& more = added.entries[kind];
  existing.insert(existing.end(), more.begin(), more.end());
  for (const StrategyInfo& s : existing) {
    if (s.name == info.name) {
      return absl::AlreadyExistsError(
          absl::StrCat(StrategyKindName(kind), " \"", info.name, "\" is already registered"));
    }
  }
  added.entries[kind].push_back(std::move(info));
  return absl::OkStatus();
}

}  // namespace bitsearch
