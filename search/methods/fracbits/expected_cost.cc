#include "search/methods/fracbits/expected_cost.h"

#include "search/methods/fracbits/blend.h"
#include "search/methods/fracbits/fracbits_rounding.h"

namespace bitsearch::fracbits {

torch::Tensor WidthProbabilities(const torch::Tensor& bits) {
  torch::Tensor w = GridWeights(bits.to(torch::kFloat));
  return w.dim() == 1 ? w : w.mean(0);
}

namespace {

torch::Tensor GridWidths() {
  return torch::tensor({double(kGrid[0]), double(kGrid[1]), double(kGrid[2]), double(kGrid[3])},
                       torch::kFloat);
}

// The probabilities' device: the sums are built there.
torch::Device DeviceOf(const std::vector<torch::Tensor>& probs) {
  return probs.empty() ? torch::Device(torch::kCPU) : probs.front().device();
}

}  // namespace

torch::Tensor ExpectedRelativeBops(const std::vector<double>& macs,
                                   const std::vector<torch::Tensor>& weight_probs,
                                   const std::vector<torch::Tensor>& act_probs) {
  const torch::Device device = DeviceOf(weight_probs);
  const torch::Tensor widths = GridWidths().to(device);
  double total_macs = 0;
  for (double m : macs) total_macs += m;
  torch::Tensor sum = torch::zeros({}, torch::TensorOptions().device(device));
  for (size_t l = 0; l < macs.size(); ++l) {
    sum = sum + macs[l] * (weight_probs[l] * widths).sum() * (act_probs[l] * widths).sum();
  }
  return sum * (100.0 / (total_macs * 32.0 * 32.0));
}

torch::Tensor ExpectedLatency(const std::vector<LatencyGrid>& latency,
                              const std::vector<torch::Tensor>& weight_probs,
                              const std::vector<torch::Tensor>& act_probs) {
  const torch::Device device = DeviceOf(weight_probs);
  torch::Tensor sum = torch::zeros({}, torch::TensorOptions().device(device));
  for (size_t l = 0; l < latency.size(); ++l) {
    torch::Tensor table = torch::empty({4, 4});
    for (int a = 0; a < 4; ++a) {
      for (int w = 0; w < 4; ++w) table[a][w] = latency[l][a][w];
    }
    sum = sum + torch::dot(act_probs[l], torch::mv(table.to(device), weight_probs[l]));
  }
  return sum;
}

torch::Tensor TargetRegularizer(const torch::Tensor& cost, double target, double kappa) {
  return kappa * (cost / target - 1.0).abs();
}

}  // namespace bitsearch::fracbits
