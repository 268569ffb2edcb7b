// What an export writes, computed once from a fine-tuned fixed-bit Network: per quantized tensor
// its integer grid (scale, zero point, int8/int16 container bounds), per layer its fake-quantized
// weights with the pruned channels removed where that is exact, and the graph to lay out. The ONNX,
// quant.json and TorchScript writers all read this plan, so the three files agree.
//
// Integer grid of a b-bit tensor (b in 2,4,8,16): step s_b as the Bayesian Bits quantizer builds it
// (s2 = range/3, s4 = s2/5, s8 = s4/17, s16 = s8/257; range = 2 x_max signed, x_max unsigned);
// real = (q - zero_point) * s_b. Signed tensors: zero point 0, q in [-(2^(b-1)-1), 2^(b-1)-1]
// (2^b - 1 symmetric levels). Unsigned: zero point -2^(b-1), q in [-2^(b-1), 2^(b-1)-1] (2^b
// levels from 0). 32-bit tensors are only clipped (float32 has no finer grid to offer).
//
// Pruned channels: a pruned output channel of layer L still emits its bias. It is removed (from L's
// rows and from the input columns of the layers reading it) when every path from L reaches conv
// (groups 1) / linear layers through ReLU, Clip, pools, Identity or Flatten only, and the channel's
// quantized constant either is 0 or can be folded exactly into the consumer's bias (linear layers,
// unpadded convs). Otherwise it stays, with zero weights. Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_ONNX_EXPORT_PLAN_H_
#define BITSEARCH_SEARCH_ONNX_EXPORT_PLAN_H_

#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/data/preprocess.h"
#include "search/graph.h"
#include "search/network.h"

namespace bitsearch {

struct QuantGrid {
  int bits = 32;           // 0 (all pruned), 2, 4, 8, 16, 32
  bool is_signed = true;
  float x_max = 1.0f;      // the learned range
  float scale = 1.0f;      // s_b (bits 2..16)
  int64_t zero_point = 0;
  int64_t qmin = 0, qmax = 0;  // integer bounds inside the container (the Clip bounds)
  float lo = 0.0f, hi = 0.0f;  // real clip bounds (32-bit tensors)

  bool integer() const { return bits >= 2 && bits <= 16; }
  bool int8() const { return bits >= 2 && bits <= 8; }
};

// The grid of a quantizer in fixed mode with `bits` (its x_max and signedness).
QuantGrid MakeGrid(TensorQuantizerImpl& q, int bits);

// Integer codes (container values, zero point included) of `x` on `grid`: round half to even of
// x / scale, plus the zero point, clamped to [qmin, qmax]. Integer grids only.
torch::Tensor QuantizeCodes(const torch::Tensor& x, const QuantGrid& grid);

struct LayerPlan {
  int node = -1;                     // graph node of the conv / linear
  std::string name;
  QuantGrid weight;                  // weight grid
  int act = -1;                      // index into ExportPlan::acts of its input's quantizer
  torch::Tensor weight_q;            // exported fake-quantized weights (removals applied)
  torch::Tensor bias;                // exported bias (folds applied); undefined when none
  std::vector<int64_t> keep;         // output channels kept by the search (original indices)
  std::vector<int64_t> out_channels; // original indices of the rows in weight_q
  std::vector<int64_t> in_channels;  // original indices of the input channels in weight_q
  int64_t features_per_channel = 1;  // linear after flatten: input features per channel
  bool removed = false;              // pruned rows taken out of weight_q
};

struct ActPlan {
  int producer = -1;                 // graph node whose output is quantized
  QuantGrid grid;
};

struct ExportPlan {
  Graph graph;                       // the folded graph, original channel counts
  std::vector<int64_t> input_shape;  // C, H, W
  std::vector<LayerPlan> layers;     // in Network::layer_quants() order
  std::vector<ActPlan> acts;         // in Network::act_quantizers() order
  // BatchNorms left in the graph (not after a conv): gamma, beta, running mean, running var.
  std::map<int, std::vector<torch::Tensor>> batch_norms;
  int64_t removed_channels = 0;
  // The data preprocessing the network was trained behind (quant.json records it); with
  // `preprocessing_in_graph` the exported models start with it and take raw data set values.
  std::optional<Preprocessing> preprocessing;
  bool preprocessing_in_graph = false;
};

// Builds the plan of a Network whose quantizers are fixed (SetFixed), normally with its BNs folded
// (a BN left in the graph is exported as BatchNormalization).
// Errors: FAILED_PRECONDITION when a quantizer is not in fixed mode.
absl::StatusOr<ExportPlan> BuildExportPlan(NetworkImpl& net);

// The quantized weights of a layer as quant.json stores them: rows of the kept output channels,
// columns of the exported input channels.
torch::Tensor KeptWeights(const LayerPlan& layer);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_EXPORT_PLAN_H_
