#include "search/device.h"

#include "absl/strings/str_cat.h"

namespace bitsearch {

absl::StatusOr<torch::Device> ParseDevice(const std::string& text) {
  auto refuse = [&text](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("device \"", text, "\": ", why));
  };
  torch::Device device = torch::kCPU;
  try {
    device = torch::Device(text);
  } catch (const c10::Error&) {
    return refuse("not a device name (use \"cpu\", \"cuda\" or \"cuda:N\")");
  }
  if (device.is_cpu()) {
    if (device.has_index() && device.index() != 0) return refuse("the CPU has no index but 0");
    return torch::Device(torch::kCPU);
  }
  if (!device.is_cuda()) return refuse("only \"cpu\" and CUDA devices run jobs");
  if (!torch::cuda::is_available()) {
    return refuse("this LibTorch build or machine has no CUDA device (Debian's libtorch is "
                  "CPU-only; use \"cpu\")");
  }
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  if (device.has_index() && device.index() >= count) {
    return refuse(absl::StrCat("this machine has ", count, " CUDA device(s)"));
  }
  return device;
}

}  // namespace bitsearch
