// Gradient-L1 regularisation (Alizadeh et al., ICLR 2020): float training that makes a network
// tolerate quantization. Quantizing a tensor perturbs it by at most half a step per element, so to
// first order the loss rises by at most (step / 2) ||dL/dtensor||_1; training on
//   CE + lambda_w sum_layers ||dCE/dW||_1 + lambda_a sum_acts ||dCE/dy||_1
// keeps those gradients small. W: every conv/linear weight; y: every activation tensor a
// quantizer will see (the inputs of the network's activation quantizers, the network input
// excepted: it is data, fixed at 8 bits). The penalty's own gradient needs the gradients as part
// of the graph (double backprop: torch::autograd::grad with create_graph, then backward of the
// sum). Measured on LeNet-5 (bench/grad_l1_bench): the activation term alone costs 1.7 float
// steps; the weight term 9.5-12.6, because it differentiates the convolutions' weight gradients
// again (LibTorch's CPU double backward of conv; PyTorch's own step measures 8.6x).
//
// Batch convention: CE is the batch mean, so dCE/dW is the batch gradient the optimizer sees,
// and ||dCE/dy||_1 over the batch equals the per-sample gradients of the summed loss divided by
// the batch size: the mean per-sample norm, independent of the batch size.
// Thread-safety: like the network, one thread.
#ifndef BITSEARCH_SEARCH_GRAD_L1_H_
#define BITSEARCH_SEARCH_GRAD_L1_H_

#include <torch/torch.h>

#include "search/network.h"

namespace bitsearch {

struct GradL1Strength {
  double lambda_w = 0;  // weight term
  double lambda_a = 0;  // activation term
};

struct GradL1Loss {
  torch::Tensor logits;
  torch::Tensor ce;         // mean cross-entropy of the batch
  torch::Tensor weight_l1;  // sum over conv/linear weights of ||dCE/dW||_1 (0 when lambda_w = 0)
  torch::Tensor act_l1;     // sum over quantized activations of ||dCE/dy||_1 (0 when lambda_a = 0)
  torch::Tensor total;      // ce + lambda_w weight_l1 + lambda_a act_l1; differentiable (backward it)
};

// One batch's loss with the gradient-L1 terms, the terms part of the autograd graph.
GradL1Loss ComputeGradL1Loss(NetworkImpl& net, const torch::Tensor& x, const torch::Tensor& y,
                             const GradL1Strength& strength);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_GRAD_L1_H_
