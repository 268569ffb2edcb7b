// Per-channel statistics of each layer's pre-activation output (mean and standard deviation over
// samples and positions), which high-bias absorption and analytic bias correction need
// (data-free quantization, arXiv 1906.04721). Data-free: read from the BatchNorm that follows a
// conv before folding (mean = beta, deviation = |gamma|). Where a layer has no BatchNorm and
// calibration data exists, measured on the float network instead.
// Thread-safety: plain values; the functions drive a network from the calling thread.
#ifndef BITSEARCH_SEARCH_PTQ_LAYER_STATS_H_
#define BITSEARCH_SEARCH_PTQ_LAYER_STATS_H_

#include <torch/torch.h>

#include <map>

#include "search/network.h"

namespace bitsearch {

struct ChannelStats {
  torch::Tensor mean;  // [C]
  torch::Tensor std;   // [C], >= 0
  bool from_batch_norm = false;
};

// Keyed by the graph node of the conv / linear layer.
using LayerStats = std::map<int, ChannelStats>;

// The statistics the BatchNorms of an unfolded network imply for the convs they fold into
// (FoldBatchNorm / FoldedStructure; node indices are the same in both graphs).
LayerStats BatchNormStats(NetworkImpl& unfolded);

// Measures the layers of `net` (as it is: put its quantizers in bypass for float statistics)
// on `data`, in batches; leaves the layers in `skip` out.
LayerStats MeasureLayerStats(NetworkImpl& net, const torch::Tensor& data, int64_t batch_size,
                             const LayerStats& skip = {});

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_LAYER_STATS_H_
