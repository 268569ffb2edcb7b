#include "search/ptq/adaround.h"

#include <chrono>
#include <cmath>

#include "search/ptq/grid.h"

namespace bitsearch {
namespace {

constexpr int64_t kEvalBatch = 256;
// Also how often a cancelled job is noticed: a hundred iterations of LeNet-5's fc1 take ~2 s.
constexpr int64_t kProgressEvery = 100;

// Reconstruction error of weights `w` over all cached samples (in batches, no gradient).
double CachedError(const RoundingProblem& p, const torch::Tensor& w) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  const int64_t n = p.inputs.size(0);
  for (int64_t b = 0; b < n; b += kEvalBatch) {
    torch::Tensor xq = p.inputs.slice(0, b, b + kEvalBatch);
    torch::Tensor xf = p.float_inputs.slice(0, b, b + kEvalBatch);
    torch::Tensor target = p.function(xf, p.weight, p.bias);
    sum += ReconstructionError(p.function(xq, w, p.bias), target).item<double>() * xq.size(0);
  }
  return n > 0 ? sum / static_cast<double>(n) : 0.0;
}

}  // namespace

torch::Tensor RectifiedSigmoid(const torch::Tensor& v) {
  return torch::clamp(torch::sigmoid(v) * (kAdaRoundZeta - kAdaRoundGamma) + kAdaRoundGamma, 0, 1);
}

torch::Tensor InitRoundingVariables(const torch::Tensor& w, const torch::Tensor& step) {
  torch::Tensor scaled = w / step;
  torch::Tensor rest = scaled - torch::floor(scaled);
  // Inverse of the rectified sigmoid; rest in [0, 1) maps inside its unclamped part.
  return -torch::log((kAdaRoundZeta - kAdaRoundGamma) / (rest - kAdaRoundGamma) - 1);
}

torch::Tensor RoundedWeight(const torch::Tensor& w, const torch::Tensor& step, const torch::Tensor& h,
                            int bits, bool is_signed) {
  torch::Tensor base = torch::floor(w / step).detach();
  return step * torch::clamp(base + h, static_cast<double>(GridQmin(bits, is_signed)),
                             static_cast<double>(GridQmax(bits, is_signed)));
}

double AnnealedBeta(int64_t iter, int64_t total, const AdaRoundOptions& o) {
  const double warm = o.warm_start * static_cast<double>(total);
  const double rel = std::clamp((static_cast<double>(iter) - warm) / std::max(1.0, total - warm), 0.0, 1.0);
  return o.beta_end + 0.5 * (o.beta_start - o.beta_end) * (1 + std::cos(rel * M_PI));
}

torch::Tensor RoundingRegularizer(const torch::Tensor& v, double beta) {
  return (1 - (2 * RectifiedSigmoid(v) - 1).abs().pow(beta)).sum();
}

torch::Tensor LayerFunction::operator()(const torch::Tensor& x, const torch::Tensor& w,
                                        const torch::Tensor& b) const {
  torch::Tensor y;
  if (layer.op == Op::kConv) {
    y = torch::conv2d(x, w, b, {layer.stride_h, layer.stride_w}, {layer.pad_h, layer.pad_w},
                      {layer.dilation_h, layer.dilation_w}, layer.groups);
  } else {
    y = torch::linear(x, w, b);
  }
  if (activation == Op::kReLU) return torch::relu(y);
  if (activation == Op::kClip) return torch::clamp(y, clip_min, clip_max);
  return y;
}

LayerFunction LayerFunctionOf(const Graph& graph, int layer) {
  LayerFunction f;
  f.layer = graph.nodes[layer];
  std::vector<int> consumers = graph.Consumers(layer);
  if (consumers.size() == 1 && layer != graph.output) {
    const Node& c = graph.nodes[consumers[0]];
    if (c.op == Op::kReLU || c.op == Op::kClip) {
      f.activation = c.op;
      f.clip_min = c.clip_min;
      f.clip_max = c.clip_max;
    }
  }
  return f;
}

torch::Tensor ReconstructionError(const torch::Tensor& out, const torch::Tensor& target) {
  return (out - target).pow(2).sum(1).mean();
}

RoundingOutcome OptimizeRounding(const RoundingProblem& p, const AdaRoundOptions& options,
                                 const RoundingProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  RoundingOutcome out;
  torch::Tensor w = p.weight.detach();
  torch::Tensor step = GridStep(ChannelView(p.x_max.detach(), w), p.bits, p.is_signed);
  torch::Tensor v = InitRoundingVariables(w, step).detach().requires_grad_(true);
  torch::optim::Adam adam({v}, torch::optim::AdamOptions(options.lr));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const int64_t n = p.inputs.size(0);
  const int64_t total = options.iterations;
  const int64_t warm = static_cast<int64_t>(options.warm_start * static_cast<double>(total));
  for (int64_t it = 0; it < total && n > 0; ++it) {
    // Drawn on the CPU (a seed gives the same batches on every device), used where the inputs are.
    torch::Tensor idx = torch::randint(n, {std::min<int64_t>(options.batch_size, n)}, gen, torch::kLong)
                            .to(p.inputs.device());
    torch::Tensor target;
    {
      torch::NoGradGuard no_grad;
      target = p.function(p.float_inputs.index_select(0, idx), w, p.bias);
    }
    torch::Tensor soft = RoundedWeight(w, step, RectifiedSigmoid(v), p.bits, p.is_signed);
    torch::Tensor loss = ReconstructionError(p.function(p.inputs.index_select(0, idx), soft, p.bias), target);
    if (it >= warm) loss = loss + options.reg * RoundingRegularizer(v, AnnealedBeta(it, total, options));
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (progress && ((it + 1) % kProgressEvery == 0 || it + 1 == total) &&
        !progress(it + 1, loss.item<double>())) {
      out.stopped = true;
      return out;
    }
  }
  torch::NoGradGuard no_grad;
  out.up = (v.detach() >= 0).to(torch::kFloat);
  torch::Tensor nearest = FakeQuantize(w, p.x_max, p.bits, p.is_signed);
  torch::Tensor learned = RoundedWeight(w, step, out.up, p.bits, p.is_signed);
  out.error_nearest = CachedError(p, nearest);
  out.error_adaround = CachedError(p, learned);
  out.changed_fraction = (nearest != learned).to(torch::kFloat).mean().item<double>();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace bitsearch
