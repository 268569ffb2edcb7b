#include "search/network.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "search/job_checkpoint.h"

namespace bitsearch {

std::string ModuleName(const std::string& node_name) {
  std::string out = node_name;
  for (char& c : out) {
    if (c == '.' || c == '/' || c == ':' || c == ' ') c = '_';
  }
  return out;
}

TensorQuantizer NetworkImpl::MakeQuantizer(const QuantizerConfig& config) const {
  if (options_.quantizers) return options_.quantizers(config);
  return BBQuantizer(config).ptr();
}

NetworkImpl::NetworkImpl(Graph graph, const NetworkOptions& options)
    : graph_(std::move(graph)), options_(options) {
  // Everything is made on options.device (random values drawn on the CPU and moved, so a seed
  // gives the same network everywhere); Module::to cannot move a CPU tensor to every device.
  const auto on_device = torch::TensorOptions().device(options_.device);
  const std::vector<int> layer_nodes = graph_.Layers();
  const int last_layer = layer_nodes.empty() ? -1 : layer_nodes.back();
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const Node& n = graph_.nodes[i];
    const std::string base = ModuleName(n.name);
    if (n.IsLayer()) {
      torch::Tensor w;
      int64_t fan_in;
      if (n.op == Op::kConv) {
        w = torch::empty({n.out_channels, n.in_channels / n.groups, n.kernel_h, n.kernel_w});
        fan_in = n.in_channels / n.groups * n.kernel_h * n.kernel_w;
      } else {
        w = torch::empty({n.out_channels, n.in_channels});
        fan_in = n.in_channels;
      }
      // Kaiming-uniform as PyTorch's default layers do, so plain training behaves as users expect.
      double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      w.uniform_(-bound, bound);
      weights_[i] = register_parameter(base + "_weight", w.to(options_.device));
      if (n.bias) {
        biases_[i] = register_parameter(
            base + "_bias", torch::empty({n.out_channels}).uniform_(-bound, bound).to(options_.device));
      }
      QuantizerConfig qc;
      qc.is_weight = true;
      qc.channels = n.out_channels;
      qc.prunable = options_.prune && static_cast<int>(i) != last_layer;
      qc.max_bits = options_.max_bits;
      qc.gate_init = options_.gate_init;
      qc.device = options_.device;
      TensorQuantizer wq = register_module("wq_" + base, MakeQuantizer(qc));
      // One activation quantizer per producing tensor.
      int producer = n.inputs[0];
      auto it = act_of_producer_.find(producer);
      int act;
      if (it == act_of_producer_.end()) {
        QuantizerConfig ac;
        ac.max_bits = options_.max_bits;
        ac.gate_init = options_.gate_init;
        ac.device = options_.device;
        act = static_cast<int>(acts_.size());
        acts_.push_back(register_module("aq_" + ModuleName(graph_.nodes[producer].name), MakeQuantizer(ac)));
        // The network input's range is the data's, measured at calibration and kept: learning
        // that one scalar would make the first layer compute a gradient for its input, which
        // the float step never does (a third of a LeNet-5 step's Bayesian Bits overhead).
        if (producer == 0) {
          for (torch::Tensor& r : acts_.back()->RangeParameters()) r.set_requires_grad(false);
        }
        act_producer_.push_back(producer);
        act_of_producer_[producer] = act;
      } else {
        act = it->second;
      }
      layer_of_node_[i] = static_cast<int>(layers_.size());
      layers_.push_back({static_cast<int>(i), wq, act});
    } else if (n.op == Op::kBatchNorm) {
      bn_gamma_[i] = register_parameter(base + "_gamma", torch::ones({n.out_channels}, on_device));
      bn_beta_[i] = register_parameter(base + "_beta", torch::zeros({n.out_channels}, on_device));
      bn_mean_[i] = register_buffer(base + "_running_mean", torch::zeros({n.out_channels}, on_device));
      bn_var_[i] = register_buffer(base + "_running_var", torch::ones({n.out_channels}, on_device));
    }
  }
}

torch::Device NetworkImpl::device() const {
  return weights_.empty() ? options_.device : weights_.begin()->second.device();
}

torch::Tensor NetworkImpl::forward(const torch::Tensor& x) {
  return ForwardValues(x)[graph_.output];
}

std::vector<torch::Tensor> NetworkImpl::ForwardValues(const torch::Tensor& input, int last) {
  // Data sets stay in host memory; a batch joins the network on its device here, so no caller
  // (training, calibration, post-training statistics) has to remember to move it.
  const torch::Device here = device();
  const torch::Tensor x = input.device() == here ? input : input.to(here);
  const size_t end = last < 0 ? graph_.nodes.size() : static_cast<size_t>(last) + 1;
  std::vector<torch::Tensor> values(graph_.nodes.size());
  std::vector<torch::Tensor> quantized(acts_.size());
  for (size_t i = 0; i < end; ++i) {
    const Node& n = graph_.nodes[i];
    const torch::Tensor& in = n.inputs.empty() ? x : values[n.inputs[0]];
    switch (n.op) {
      case Op::kInput:
        values[i] = x;
        break;
      case Op::kConv:
      case Op::kLinear: {
        int act = act_of_producer_.at(n.inputs[0]);
        if (!quantized[act].defined()) quantized[act] = acts_[act]->forward(in);
        torch::Tensor w = layers_[layer_of_node_.at(i)].weight->forward(weights_.at(i));
        torch::Tensor b = n.bias ? biases_.at(i) : torch::Tensor();
        if (n.op == Op::kConv) {
          values[i] = torch::conv2d(quantized[act], w, b, {n.stride_h, n.stride_w},
                                    {n.pad_h, n.pad_w}, {n.dilation_h, n.dilation_w}, n.groups);
        } else {
          values[i] = torch::linear(quantized[act], w, b);
        }
        break;
      }
      case Op::kBatchNorm:
        values[i] = torch::batch_norm(in, bn_gamma_.at(i), bn_beta_.at(i), bn_mean_.at(i),
                                      bn_var_.at(i), is_training(), 0.1, n.bn_eps, false);
        break;
      case Op::kReLU:
        values[i] = torch::relu(in);
        break;
      case Op::kClip:
        // hardtanh, as PyTorch's ReLU6: the same values as clamp, and a fused backward (clamp's
        // backward builds masks op by op: 2.6x the time on a 128x96x32x32 activation).
        values[i] = torch::hardtanh(in, n.clip_min, n.clip_max);
        break;
      case Op::kMaxPool:
        values[i] = torch::max_pool2d(in, {n.kernel_h, n.kernel_w}, {n.stride_h, n.stride_w},
                                      {n.pad_h, n.pad_w});
        break;
      case Op::kAvgPool:
        values[i] = torch::avg_pool2d(in, {n.kernel_h, n.kernel_w}, {n.stride_h, n.stride_w},
                                      {n.pad_h, n.pad_w}, false, /*count_include_pad=*/false);
        break;
      case Op::kGlobalAvgPool:
        values[i] = in.mean({2, 3}, /*keepdim=*/true);
        break;
      case Op::kFlatten:
        values[i] = in.flatten(1);
        break;
      case Op::kAdd: {
        torch::Tensor sum = in;
        for (size_t k = 1; k < n.inputs.size(); ++k) sum = sum + values[n.inputs[k]];
        values[i] = sum;
        break;
      }
      case Op::kIdentity:
        values[i] = in;
        break;
    }
  }
  return values;
}

void NetworkImpl::SetQuantMode(QuantMode mode) {
  for (LayerQuant& l : layers_) l.weight->set_mode(mode);
  for (size_t a = 0; a < acts_.size(); ++a) {
    if (act_producer_[a] == 0 && (mode == QuantMode::kSearch || mode == QuantMode::kFixed)) {
      acts_[a]->FixBits(8);  // the network input counts as 8-bit and is never searched
    } else {
      acts_[a]->set_mode(mode);
    }
  }
}

void NetworkImpl::SetGenerator(at::Generator generator) {
  for (LayerQuant& l : layers_) l.weight->set_generator(generator);
  for (TensorQuantizer& a : acts_) a->set_generator(generator);
}

std::vector<torch::Tensor> NetworkImpl::WeightParameters() {
  std::vector<torch::Tensor> out;
  for (auto& [i, t] : weights_) out.push_back(t);
  for (auto& [i, t] : biases_) out.push_back(t);
  for (auto& [i, t] : bn_gamma_) out.push_back(t);
  for (auto& [i, t] : bn_beta_) out.push_back(t);
  return out;
}

std::vector<torch::Tensor> NetworkImpl::QuantizerParameters() {
  std::vector<torch::Tensor> out;
  for (LayerQuant& l : layers_) {
    for (torch::Tensor& p : l.weight->MethodParameters()) out.push_back(p);
  }
  for (size_t a = 0; a < acts_.size(); ++a) {
    if (act_producer_[a] == 0) continue;  // the input stays at 8 bits: nothing to learn
    for (torch::Tensor& p : acts_[a]->MethodParameters()) out.push_back(p);
  }
  return out;
}

std::vector<torch::Tensor> NetworkImpl::RangeParameters() {
  std::vector<torch::Tensor> out;
  for (LayerQuant& l : layers_) {
    for (torch::Tensor& p : l.weight->RangeParameters()) out.push_back(p);
  }
  for (size_t a = 0; a < acts_.size(); ++a) {
    if (act_producer_[a] == 0) continue;  // the input's range is fixed
    for (torch::Tensor& p : acts_[a]->RangeParameters()) out.push_back(p);
  }
  return out;
}

void NetworkImpl::InitRanges(const torch::Tensor& batch) {
  torch::NoGradGuard no_grad;
  for (LayerQuant& l : layers_) l.weight->InitRange(weights_.at(l.node));
  SetQuantMode(QuantMode::kCalibrate);
  bool was_training = is_training();
  eval();
  forward(batch);
  train(was_training);
}

void NetworkImpl::AfterOptimizerStep() {
  for (LayerQuant& l : layers_) l.weight->AfterStep();
  for (TensorQuantizer& a : acts_) a->AfterStep();
}

BitConfig NetworkImpl::Decide() {
  BitConfig config;
  for (LayerQuant& l : layers_) {
    LayerBits bits;
    bits.name = graph_.nodes[l.node].name;
    bits.keep = l.weight->DecidedKeep();
    bits.weight_bits = l.weight->DecidedBits();
    bits.act_bits = act_producer_[l.act] == 0 ? 8 : acts_[l.act]->DecidedBits();
    config.layers.push_back(std::move(bits));
  }
  return config;
}

void NetworkImpl::SetFixed(const BitConfig& config) {
  if (config.layers.size() != layers_.size()) {
    throw std::invalid_argument(absl::StrCat("bit config has ", config.layers.size(),
                                             " layers, the network ", layers_.size()));
  }
  std::vector<int> act_bits(acts_.size(), -1);
  for (size_t k = 0; k < layers_.size(); ++k) {
    const LayerBits& b = config.layers[k];
    LayerQuant& l = layers_[k];
    std::vector<uint8_t> keep = b.keep;
    if (!l.weight->config().prunable) keep.clear();  // only prunable weights carry masks
    l.weight->FixBits(b.weight_bits, keep);
    int& a = act_bits[l.act];
    if (a != -1 && a != b.act_bits) {
      throw std::invalid_argument(absl::StrCat("layer ", b.name, ": its input is shared with a layer ",
                                               "that uses ", a, " bits, not ", b.act_bits));
    }
    a = b.act_bits;
  }
  for (size_t a = 0; a < acts_.size(); ++a) acts_[a]->FixBits(act_producer_[a] == 0 ? 8 : act_bits[a]);
}

namespace {

void LoadMatching(torch::nn::Module& module, torch::serialize::InputArchive& archive) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters(/*recurse=*/false)) archive.try_read(p.key(), p.value());
  for (auto& b : module.named_buffers(/*recurse=*/false)) archive.try_read(b.key(), b.value(), true);
  for (auto& child : module.named_children()) {
    torch::serialize::InputArchive child_archive;
    if (archive.try_read(child.key(), child_archive)) LoadMatching(*child.value(), child_archive);
  }
}

}  // namespace

void LoadMatchingState(torch::nn::Module& module, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  std::istringstream is(bytes);
  archive.load_from(is, ModuleDevice(module));
  LoadMatching(module, archive);
  RefreshQuantizerHostState(module);
}

Network FoldBatchNorm(NetworkImpl& src) {
  torch::NoGradGuard no_grad;
  Graph folded = FoldedStructure(src.graph_);
  Network out(folded, src.options_);
  // Copy every plain weight and bias, then fold the BN numbers into the producing conv.
  for (auto& [i, w] : src.weights_) out->weights_.at(i).copy_(w);
  for (auto& [i, b] : src.biases_) out->biases_.at(i).copy_(b);
  for (size_t i = 0; i < folded.nodes.size(); ++i) {
    const Node& orig = src.graph_.nodes[i];
    if (orig.op != Op::kBatchNorm) continue;
    if (folded.nodes[i].op == Op::kBatchNorm) {  // not foldable: keep it as it is
      out->bn_gamma_.at(i).copy_(src.bn_gamma_.at(i));
      out->bn_beta_.at(i).copy_(src.bn_beta_.at(i));
      out->bn_mean_.at(i).copy_(src.bn_mean_.at(i));
      out->bn_var_.at(i).copy_(src.bn_var_.at(i));
      continue;
    }
    int conv = orig.inputs[0];
    auto scale = src.bn_gamma_.at(i) / torch::sqrt(src.bn_var_.at(i) + orig.bn_eps);
    auto bias = src.biases_.count(conv) ? src.biases_.at(conv) : torch::zeros_like(scale);
    out->weights_.at(conv).copy_(src.weights_.at(conv) * scale.view({-1, 1, 1, 1}));
    out->biases_.at(conv).copy_((bias - src.bn_mean_.at(i)) * scale + src.bn_beta_.at(i));
  }
  return out;
}

}  // namespace bitsearch
