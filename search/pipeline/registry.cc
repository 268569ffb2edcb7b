#include "search/pipeline/registry.h"

#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "search/baselines/fixed_bits_qat.h"
#include "search/baselines/ptq_baseline.h"
#include "search/methods/bayesian_bits/bayesian_bits.h"
#include "search/methods/fracbits/fracbits_search.h"
#include "search/methods/post_training/post_training_method.h"
#include "search/prior.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

// Factories of one kind, keyed by catalog name; built-ins first, registrations added later.
template <typename T>
class Factories {
 public:
  using Factory = std::function<std::unique_ptr<T>()>;
  Factories(StrategyKind kind, std::map<std::string, Factory> builtins, const char* field)
      : kind_(kind), field_(field), factories_(std::move(builtins)) {}

  absl::StatusOr<std::unique_ptr<T>> Make(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = factories_.find(name);
    if (it == factories_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(field_, ": unknown ", StrategyKindName(kind_),
                                                     " \"", name, "\"; expected one of: ",
                                                     absl::StrJoin(NamesLocked(), ", ")));
    }
    return it->second();
  }

  absl::Status Register(StrategyInfo info, Factory factory) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string name = info.name;
    if (factories_.count(name)) {
      return absl::AlreadyExistsError(absl::StrCat(StrategyKindName(kind_), " \"", name,
                                                   "\" is already registered"));
    }
    BS_RETURN_IF_ERROR(AddStrategy(kind_, std::move(info)));
    factories_[name] = std::move(factory);
    return absl::OkStatus();
  }

  std::vector<std::string> Names() {
    std::lock_guard<std::mutex> lock(mu_);
    return NamesLocked();
  }

 private:
  std::vector<std::string> NamesLocked() const {
    std::vector<std::string> names;
    for (const auto& [name, factory] : factories_) names.push_back(name);
    return names;
  }

  const StrategyKind kind_;
  const char* field_;
  std::mutex mu_;
  std::map<std::string, Factory> factories_;
};

Factories<SearchMethod>& SearchMethods() {
  static auto* f = new Factories<SearchMethod>(
      StrategyKind::kSearchMethod,
      {{"bayesian_bits", MakeBayesianBitsSearch},
       {"fracbits", fracbits::MakeFracBitsSearch},
       {"none", MakePostTrainingOnly}},
      "search.method");
  return *f;
}

Factories<RefineMethod>& RefineMethods() {
  static auto* f = new Factories<RefineMethod>(
      StrategyKind::kRefineMethod,
      {{"freebits", MakeFreeBitsRefinement}, {"none", MakeNoRefinement}}, "refine.method");
  return *f;
}

// Fixed-bit QAT at the given weight and activation bits.
std::function<std::unique_ptr<Baseline>()> Qat(int weight_bits, int act_bits) {
  return [=]() { return std::make_unique<FixedBitsQat>(weight_bits, act_bits); };
}

// Post-training quantization at the given bits: MSE ranges per tensor, and AdaRound (the
// reference's 10,000 iterations per layer) when asked.
std::function<std::unique_ptr<Baseline>()> Ptq(int weight_bits, int act_bits, bool adaround) {
  return [=]() {
    PtqOptions options;
    options.adaround.enabled = adaround;
    return std::make_unique<PtqBaseline>(weight_bits, act_bits, options);
  };
}

Factories<Baseline>& Baselines() {
  static auto* f = new Factories<Baseline>(
      StrategyKind::kBaseline,
      {{"w8a8", Qat(8, 8)}, {"w4a8", Qat(4, 8)}, {"w4a4", Qat(4, 4)}, {"w2a2", Qat(2, 2)},
       {"ptq-w8a8", Ptq(8, 8, false)}, {"ptq-w4a8", Ptq(4, 8, false)},
       {"ptq-w4a8-adaround", Ptq(4, 8, true)}},
      "baselines");
  return *f;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SearchMethod>> MakeSearchMethod(const std::string& name) {
  return SearchMethods().Make(name);
}
absl::StatusOr<std::unique_ptr<RefineMethod>> MakeRefineMethod(const std::string& name) {
  return RefineMethods().Make(name);
}
absl::StatusOr<std::unique_ptr<Baseline>> MakeBaseline(const std::string& name) {
  return Baselines().Make(name);
}
absl::StatusOr<std::unique_ptr<Baseline>> MakeBaseline(const BaselineSpec& b) {
  if (b.from_catalog) return MakeBaseline(b.name);
  if (b.method == "qat") return std::make_unique<FixedBitsQat>(b.weight_bits, b.act_bits);
  return std::make_unique<PtqBaseline>(b.weight_bits, b.act_bits, PtqOptionsFromSpec(b.ptq),
                                       b.ptq.calibration_samples);
}

absl::Status RegisterSearchMethod(StrategyInfo info, SearchMethodFactory factory) {
  return SearchMethods().Register(std::move(info), std::move(factory));
}
absl::Status RegisterRefineMethod(StrategyInfo info, RefineMethodFactory factory) {
  return RefineMethods().Register(std::move(info), std::move(factory));
}
absl::Status RegisterBaseline(StrategyInfo info, BaselineFactory factory) {
  return Baselines().Register(std::move(info), std::move(factory));
}

std::vector<std::string> FactoryNames(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kZooModel: return ZooFactoryNames();
    case StrategyKind::kSearchMethod: return SearchMethods().Names();
    case StrategyKind::kPrior: return PriorFactoryNames();
    case StrategyKind::kRefineMethod: return RefineMethods().Names();
    case StrategyKind::kBaseline: return Baselines().Names();
    case StrategyKind::kFinetuneMethod: return FinetuneMethodNames();
  }
  return {};
}

}  // namespace bitsearch
