#include "search/grad_l1.h"

#include <vector>

namespace bitsearch {

GradL1Loss ComputeGradL1Loss(NetworkImpl& net, const torch::Tensor& x, const torch::Tensor& y,
                             const GradL1Strength& strength) {
  GradL1Loss out;
  // A quantizer's input is its producer's value (network.h), so every node's value gives them.
  std::vector<torch::Tensor> values = net.ForwardValues(x);
  out.logits = values[net.graph().output];
  out.ce = torch::cross_entropy_loss(out.logits, y);
  out.weight_l1 = torch::zeros({}, out.ce.options());
  out.act_l1 = torch::zeros({}, out.ce.options());
  // The tensors to differentiate against: weights first, then activations.
  std::vector<torch::Tensor> inputs;
  size_t n_weights = 0;
  if (strength.lambda_w != 0) {
    for (const auto& l : net.layer_quants()) inputs.push_back(net.weight(l.node));
    n_weights = inputs.size();
  }
  if (strength.lambda_a != 0) {
    for (size_t a = 0; a < net.act_quantizers().size(); ++a) {
      const int producer = net.act_producer(static_cast<int>(a));
      if (producer != 0) inputs.push_back(values[producer]);
    }
  }
  if (inputs.empty()) {
    out.total = out.ce;
    return out;
  }
  // create_graph: the gradients stay differentiable, so backward of the total reaches the
  // weights through them (double backprop). retain_graph: backward still needs the forward graph.
  std::vector<torch::Tensor> grads = torch::autograd::grad({out.ce}, inputs, /*grad_outputs=*/{},
                                                           /*retain_graph=*/true,
                                                           /*create_graph=*/true);
  for (size_t i = 0; i < grads.size(); ++i) {
    torch::Tensor norm = grads[i].abs().sum();
    if (i < n_weights) {
      out.weight_l1 = out.weight_l1 + norm;
    } else {
      out.act_l1 = out.act_l1 + norm;
    }
  }
  out.total = out.ce + strength.lambda_w * out.weight_l1 + strength.lambda_a * out.act_l1;
  return out;
}

}  // namespace bitsearch
