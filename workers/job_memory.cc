#include "workers/job_memory.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bitsearch {
namespace {

constexpr int64_t kFloat = 4;
constexpr int64_t kRuntimeBytes = int64_t{400} << 20;
// Bayesian Bits keeps several quantized copies of each tensor (one per bit width) for backward.
constexpr int64_t kQuantizerCopies = 4;

struct Architecture {
  int64_t parameters;         // at width 1 on its usual input
  int64_t activation_factor;  // values a forward pass keeps per input value
};

// Measured from the zoo's layer shapes at their usual inputs (28x28x1, 32x32x3), rounded up.
const std::map<std::string, Architecture>& ZooFigures() {
  static const auto* figures = new std::map<std::string, Architecture>{
      {"lenet5", {70'000, 16}},
      {"vgg7", {14'000'000, 160}},
      {"resnet8", {1'300'000, 120}},
      {"mobilenetv2", {2'400'000, 200}},
  };
  return *figures;
}

constexpr Architecture kOnnxDefault = {0, 64};

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > INT64_MAX / b) return INT64_MAX / 4;  // far past any budget, still summable
  return a * b;
}

std::vector<int64_t> SampleShape(const JobSpec& spec, const ModelFacts& model) {
  if (!spec.dataset.input_shape.empty()) return spec.dataset.input_shape;
  if (spec.dataset.format == "cifar10-bin") return {3, 32, 32};
  if (spec.dataset.name == "synthetic" && model.input_shape.size() == 3) return model.input_shape;
  return {1, 28, 28};
}

int64_t Samples(const JobSpec& spec) {
  const DatasetSpec& d = spec.dataset;
  if (d.name == "synthetic") return d.synthetic_train + d.synthetic_test;
  int64_t train = d.format == "cifar10-bin" ? 50'000 : 60'000;
  int64_t test = 10'000;
  if (d.train_limit > 0) train = std::min(train, d.train_limit);
  if (d.test_limit > 0) test = std::min(test, d.test_limit);
  return train + test;
}

int64_t ReadMemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:") return kb * 1024;
  }
  return 0;
}

int64_t ReadCgroupLimit() {
  std::ifstream in("/sys/fs/cgroup/memory.max");  // cgroup v2; "max" = none
  std::string text;
  int64_t limit = 0;
  if (in >> text && absl::SimpleAtoi(text, &limit)) return limit;
  return 0;
}

}  // namespace

std::string HumanBytes(int64_t bytes) {
  double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024 * 1024) return absl::StrFormat("%.1f TiB", b / (1024.0 * 1024 * 1024 * 1024));
  if (b >= 1024.0 * 1024 * 1024) return absl::StrFormat("%.1f GiB", b / (1024.0 * 1024 * 1024));
  return absl::StrFormat("%.0f MiB", b / (1024.0 * 1024));
}

std::string MemoryEstimate::Describe() const {
  return absl::StrCat(HumanBytes(total()), " (data ", HumanBytes(data_bytes), ", model ",
                      HumanBytes(model_bytes), ", activations ", HumanBytes(activation_bytes),
                      " at batch ", batch, ", runtime ", HumanBytes(runtime_bytes), ")");
}

MemoryEstimate EstimateJobMemory(const JobSpec& spec, const ModelFacts& model) {
  std::vector<int64_t> shape = SampleShape(spec, model);
  int64_t sample_values = 1;
  for (int64_t d : shape) sample_values = SaturatingMul(sample_values, std::max<int64_t>(d, 1));
  Architecture arch = kOnnxDefault;
  int64_t parameters = model.parameters;
  if (spec.model.onnx.empty()) {
    auto it = ZooFigures().find(spec.model.zoo);
    if (it != ZooFigures().end()) arch = it->second;
    // Channel counts scale with the width, parameters with its square.
    double w = std::max(1.0, spec.model.width);
    parameters = static_cast<int64_t>(static_cast<double>(arch.parameters) * w * w);
    arch.activation_factor = static_cast<int64_t>(static_cast<double>(arch.activation_factor) * w);
  }
  MemoryEstimate e;
  e.batch = std::max({spec.search.batch_size, spec.pretrain.batch_size, 1});
  // Float tensors plus the raw bytes they were decoded from.
  e.data_bytes = SaturatingMul(SaturatingMul(Samples(spec), sample_values), kFloat + 1);
  // Weights, gradients and Adam's two moments.
  e.model_bytes = SaturatingMul(parameters, 4 * kFloat);
  e.activation_bytes = SaturatingMul(
      SaturatingMul(SaturatingMul(e.batch, sample_values), arch.activation_factor),
      kFloat * kQuantizerCopies);
  e.runtime_bytes = kRuntimeBytes;
  return e;
}

absl::Status CheckJobMemory(const MemoryEstimate& estimate, int64_t budget_bytes) {
  if (budget_bytes <= 0 || estimate.total() <= budget_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "the job needs an estimated ", estimate.Describe(), ", more than this worker's memory "
      "budget of ", HumanBytes(budget_bytes), " (--max-job-memory); use a smaller batch_size, "
      "fewer samples or a smaller input shape"));
}

int64_t DefaultJobMemoryBudget() {
  int64_t total = ReadMemTotal();
  int64_t cgroup = ReadCgroupLimit();
  if (cgroup > 0 && (total == 0 || cgroup < total)) total = cgroup;
  return total / 10 * 8;
}

}  // namespace bitsearch
