// A Graph made runnable in LibTorch, with a quantizer on every conv/linear weight and on every
// activation tensor that feeds one (one quantizer per tensor, so an activation consumed by several
// layers gets one bit width). The quantizers are Bayesian Bits ones unless NetworkOptions names
// another kind (search/tensor_quantizer.h). The network input is quantized at a fixed
// 8 bits; logits stay in full precision; the last layer gets no pruning gate.
//
// Thread-safety: a torch module; drive it from one thread.
#ifndef BITSEARCH_SEARCH_NETWORK_H_
#define BITSEARCH_SEARCH_NETWORK_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "search/bit_config.h"
#include "search/graph.h"
#include "search/quantizer.h"
#include "search/tensor_quantizer.h"

namespace bitsearch {

struct NetworkOptions {
  int max_bits = 8;          // QuantizerConfig::max_bits of every quantizer
  bool prune = true;         // prunable weight quantizers (all conv/linear but the last)
  double gate_init = 3.0;    // QuantizerConfig::gate_init
  QuantizerFactory quantizers;  // builds each tensor's quantizer; empty = Bayesian Bits
  // Where the parameters, buffers and every tensor a step creates live. Initial values are drawn
  // on the CPU and moved, so a seed gives the same network on every device.
  torch::Device device = torch::kCPU;
};

class Network;

class NetworkImpl : public torch::nn::Module {
 public:
  NetworkImpl(Graph graph, const NetworkOptions& options);

  // Logits for a batch [N, C, H, W].
  torch::Tensor forward(const torch::Tensor& x);
  // Every node's value for a batch, computed up to node `last` (inclusive; -1 = all), later
  // entries left undefined. A layer's input is its producer's value before the activation
  // quantizer; post-training quantization reads layer inputs and outputs this way.
  std::vector<torch::Tensor> ForwardValues(const torch::Tensor& x, int last = -1);

  const Graph& graph() const { return graph_; }
  const NetworkOptions& options() const { return options_; }
  // Where the parameters are now (options().device at construction; Module::to moves them).
  torch::Device device() const;

  // Quantizers off (float training), calibrating (range init), searching, or fixed.
  void SetQuantMode(QuantMode mode);
  void SetGenerator(at::Generator generator);

  // The three parameter groups of the search (each with its own learning rate): weights (and
  // biases and BN affine parameters), the quantizers' own parameters (Bayesian Bits gates, ...)
  // and their clipping bounds. The network input's quantizer contributes to neither of the last two.
  std::vector<torch::Tensor> WeightParameters();
  std::vector<torch::Tensor> QuantizerParameters();
  std::vector<torch::Tensor> RangeParameters();

  // Range initialisation: weights from their values, activations from one batch.
  void InitRanges(const torch::Tensor& batch);
  // After each optimizer step of a search: every quantizer's AfterStep (the permanent-off rule).
  void AfterOptimizerStep();

  // Test-time decisions of every quantizer, and fixing the gates to a decision.
  BitConfig Decide();
  void SetFixed(const BitConfig& config);

  // Layer bookkeeping for priors and reports.
  struct LayerQuant {
    int node;                // graph node index of the conv/linear
    TensorQuantizer weight;  // its weight quantizer
    int act;                 // index into act_quantizers() of its input's quantizer
  };
  std::vector<LayerQuant>& layer_quants() { return layers_; }
  std::vector<TensorQuantizer>& act_quantizers() { return acts_; }
  // Graph node whose output act quantizer i quantizes (0 = the network input, fixed at 8 bits).
  int act_producer(int i) const { return act_producer_[i]; }

  torch::Tensor weight(int node) { return weights_.at(node); }
  torch::Tensor bias(int node) { return biases_.at(node); }

 private:
  friend Network FoldBatchNorm(NetworkImpl& src);
  TensorQuantizer MakeQuantizer(const QuantizerConfig& config) const;

  Graph graph_;
  NetworkOptions options_;
  std::map<int, torch::Tensor> weights_, biases_;
  std::map<int, torch::Tensor> bn_gamma_, bn_beta_, bn_mean_, bn_var_;
  std::vector<LayerQuant> layers_;
  std::vector<TensorQuantizer> acts_;
  std::vector<int> act_producer_;
  std::map<int, int> act_of_producer_;
  std::map<int, int> layer_of_node_;  // graph node -> index into layers_
};
TORCH_MODULE(Network);

// A copy with every BatchNorm that follows a conv folded into that conv's weights and bias
// (eval-mode statistics): quantizers see the weights inference will use.
Network FoldBatchNorm(NetworkImpl& src);

// Loads the parameters and buffers of `module` that `bytes` (SerializeModule of another module)
// holds under the same names, and leaves the rest as they are: a network with another kind of
// quantizer starts from the float weights of a Bayesian Bits one this way.
void LoadMatchingState(torch::nn::Module& module, const std::string& bytes);

// Makes a module-safe name ("block1.conv1" -> "block1_conv1").
std::string ModuleName(const std::string& node_name);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_NETWORK_H_
