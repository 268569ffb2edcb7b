// Test helper for the latency model tests: layer signatures built in one line.
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_LATENCY_MODELS_TEST_LAYERS_H_
#define BITSEARCH_LATENCY_MODELS_TEST_LAYERS_H_

#include <cstdint>

#include "latency_models/layer_signature.h"

namespace bitsearch {

// A k x k convolution from `cin` to `cout` channels on an hw x hw image, stride 1 and "same"
// padding (the output keeps the input's size); `groups` = cin makes it depthwise.
inline LayerSignature TestConv(int64_t cin, int64_t cout, int64_t k, int64_t hw, int64_t groups = 1) {
  LayerSignature s;
  s.type = "conv";
  s.groups = groups;
  s.kernel_h = s.kernel_w = k;
  s.padding = k / 2;
  s.in_h = s.in_w = s.out_h = s.out_w = hw;
  s.in_channels = cin;
  s.out_channels = cout;
  return s;
}

// The same without padding: the output loses k - 1 rows and columns (LeNet-5's first conv is
// TestValidConv(1, 32, 5, 28): 28x28 in, 24x24 out).
inline LayerSignature TestValidConv(int64_t cin, int64_t cout, int64_t k, int64_t hw) {
  LayerSignature s = TestConv(cin, cout, k, hw);
  s.padding = 0;
  s.out_h = s.out_w = hw - k + 1;
  return s;
}

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_TEST_LAYERS_H_
