// Bridges the layer graph to the latency models and the Free Bits refinement: layer signatures,
// whole-network latency of a bit configuration, and the refinement problem built from a
// searched configuration. Torch-free. Thread-safety: pure functions (the model is immutable).
#ifndef BITSEARCH_SEARCH_HARDWARE_H_
#define BITSEARCH_SEARCH_HARDWARE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/latency_model.h"
#include "latency_models/layer_signature.h"
#include "search/bit_config.h"
#include "search/graph.h"
#include "search/refine/freebits.h"

namespace bitsearch {

// The latency-table signature of one conv/linear layer (shapes must be inferred).
LayerSignature SignatureOf(const Graph& graph, int layer);
// Signatures of every layer, in layer order (duplicates kept).
std::vector<LayerSignature> ModelSignatures(const Graph& graph);

// Latency of `config` on `model`, pruning counted through each layer's kept-MAC fraction.
absl::StatusOr<NetworkLatency> ConfigLatency(const Graph& graph, const BitConfig& config,
                                             const LatencyModel& model);

// The refinement problem for `config`: activation tensors keyed by their producer's name, the
// network input frozen at its bits.
refine::RefineProblem MakeRefineProblem(const Graph& graph, const BitConfig& config,
                                        const std::vector<int>& candidate_bits);
refine::BitConfig ToRefineConfig(const Graph& graph, const BitConfig& config);
// `base` with the weight and activation bits of `refined` (channel masks kept).
BitConfig FromRefineConfig(const Graph& graph, const BitConfig& base, const refine::BitConfig& refined);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_HARDWARE_H_
