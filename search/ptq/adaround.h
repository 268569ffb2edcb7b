// AdaRound (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training Quantization",
// arXiv 2004.10568), one layer at a time: learn, per weight, whether it rounds down or up on its
// fixed grid (search/ptq/grid.h) so that the layer's output, activation included, stays close to
// the float layer's.
//   W~ = s * clamp(floor(W / s) + h(V), qmin, qmax),  h(V) = clamp(sigmoid(V) (zeta - gamma) + gamma, 0, 1)
//   loss = mean over samples and positions of ||f(W~ x^) - f(W x)||^2
//          + lambda * sum(1 - |2 h(V) - 1|^beta)
// with zeta 1.1, gamma -0.1; V starts where h(V) is the fractional part of W / s; the rounding
// term is off for the first warm_start share of the iterations, then beta anneals from beta_start
// to beta_end (cosine); Adam on V only, batches drawn from cached inputs; x^ comes from the model
// whose earlier layers are already rounded, the target from the float model; the scales s stay
// fixed. Finally h = 1 where V >= 0, else 0.
//
// Thread-safety: functions; LibTorch parallelises inside.
#ifndef BITSEARCH_SEARCH_PTQ_ADAROUND_H_
#define BITSEARCH_SEARCH_PTQ_ADAROUND_H_

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "search/graph.h"
#include "search/ptq/ptq_options.h"

namespace bitsearch {

inline constexpr double kAdaRoundZeta = 1.1;
inline constexpr double kAdaRoundGamma = -0.1;

// h(V), the rectified sigmoid.
torch::Tensor RectifiedSigmoid(const torch::Tensor& v);
// V with h(V) = W / s - floor(W / s); `step` broadcasts against `w`.
torch::Tensor InitRoundingVariables(const torch::Tensor& w, const torch::Tensor& step);
// s * clamp(floor(W / s) + h, qmin, qmax) for a soft h (differentiable in h) or a hard 0/1 h.
torch::Tensor RoundedWeight(const torch::Tensor& w, const torch::Tensor& step, const torch::Tensor& h,
                            int bits, bool is_signed);
// beta at iteration `iter` of `total` (meaningful once the warm start is over).
double AnnealedBeta(int64_t iter, int64_t total, const AdaRoundOptions& options);
// sum(1 - |2 h(V) - 1|^beta).
torch::Tensor RoundingRegularizer(const torch::Tensor& v, double beta);

// A conv / linear layer followed by the activation that reads its output alone (ReLU, Clip) or
// by none: f(layer(x, W, b)).
struct LayerFunction {
  Node layer;
  Op activation = Op::kIdentity;  // kIdentity, kReLU or kClip
  double clip_min = 0, clip_max = 6;

  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) const;
};
LayerFunction LayerFunctionOf(const Graph& graph, int layer);

// Reconstruction error: mean over samples (and positions) of the squared distance over channels.
torch::Tensor ReconstructionError(const torch::Tensor& out, const torch::Tensor& target);

// A layer's rounding problem: its float weights and bias, the fixed grid, and the cached inputs
// (same samples, first dimension) from the partly rounded model and from the float model.
struct RoundingProblem {
  LayerFunction function;
  torch::Tensor weight;   // float W
  torch::Tensor bias;     // undefined when the layer has none
  torch::Tensor x_max;    // scalar or per output channel [C]
  int bits = 4;
  bool is_signed = true;
  torch::Tensor inputs;        // x^ [N, ...]
  torch::Tensor float_inputs;  // x  [N, ...]
};

struct RoundingOutcome {
  // The progress callback asked to stop (the job is being cancelled): nothing below is set.
  bool stopped = false;
  torch::Tensor up;             // 0/1 per weight: floor(W / s) + up is its integer
  double error_nearest = 0;     // reconstruction error of nearest rounding on the cached samples
  double error_adaround = 0;    // the same with the learned (hard) rounding
  double changed_fraction = 0;  // share of weights rounded otherwise than to nearest
  double seconds = 0;
};

// Called every few hundred iterations with (iteration, loss); returns false to stop the
// optimisation there (a cancelled job), true to go on.
using RoundingProgress = std::function<bool(int64_t, double)>;

// Learns the rounding of one layer. `progress` may be empty.
RoundingOutcome OptimizeRounding(const RoundingProblem& problem, const AdaRoundOptions& options,
                                 const RoundingProgress& progress = {});

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_ADAROUND_H_
