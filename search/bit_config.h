// A quantization decision for a whole network: per conv/linear layer, its weight bits, its input
// activation's bits and which output channels survive pruning. Torch-free plain data, shared by
// the search, the refinement, the cost model and the result JSON. Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_BIT_CONFIG_H_
#define BITSEARCH_SEARCH_BIT_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace bitsearch {

struct LayerBits {
  std::string name;              // the layer's node name
  int weight_bits = 32;          // 0 (pruned entirely), 2, 4, 8, 16, 32
  int act_bits = 32;             // bits of the layer's input activation
  std::vector<uint8_t> keep;     // one flag per output channel; empty = all kept
};

struct BitConfig {
  std::vector<LayerBits> layers;  // in the graph's layer order
};

// The same bits everywhere (baselines): weights `w`, activations `a`, no pruning.
BitConfig UniformBits(const std::vector<std::string>& layer_names, int w, int a);

nlohmann::json BitConfigToJson(const BitConfig& config);
BitConfig BitConfigFromJson(const nlohmann::json& j);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_BIT_CONFIG_H_
