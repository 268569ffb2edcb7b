#include "search/bb_kernel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <vector>

#include "search/bb_kernel_internal.h"

namespace bitsearch {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using bb_kernel_internal::BackwardConsts;
using bb_kernel_internal::kClipShrink;
using bb_kernel_internal::KernelParams;
using bb_kernel_internal::RangeKernels;
using bb_kernel_internal::Sums;

// Chunk size for activation tensors: a fixed number so reductions are deterministic.
constexpr int64_t kChunk = 16384;

// The loops this build has and this CPU runs, narrowest first (bb_kernel_lanes.h): all give
// bit-identical results, the widest is fastest.
const std::vector<RangeKernels>& AvailableKernels() {
  static const std::vector<RangeKernels> kernels = [] {
    std::vector<RangeKernels> k = {bb_kernel_internal::GenericRangeKernels()};
#if defined(BITSEARCH_BB_KERNEL_X86)
    if (__builtin_cpu_supports("avx2")) k.push_back(bb_kernel_internal::Avx2RangeKernels());
#endif
    return k;
  }();
  return kernels;
}

std::atomic<int> selected_kernels{-1};  // index into AvailableKernels(); -1: the widest

RangeKernels ActiveKernels() {
  const auto& available = AvailableKernels();
  int i = selected_kernels.load(std::memory_order_relaxed);
  return i < 0 ? available.back() : available[i];
}

KernelParams MakeParams(const torch::Tensor& x_max, const torch::Tensor& zs, bool is_signed) {
  KernelParams p;
  float xm = x_max.item<float>();
  p.hi = kClipShrink * xm;
  p.lo = is_signed ? -p.hi : 0.0f;
  p.range = is_signed ? xm - (-xm) : xm;  // the grid spans the unshrunk range
  p.is_signed = is_signed;
  // Computed in float, step by step, as the reference does in PyTorch float32.
  float s = p.range / static_cast<float>(kBBDivisors[0]);
  p.s[0] = s;
  for (int i = 1; i < 5; ++i) {
    s = s / static_cast<float>(kBBDivisors[i]);
    p.s[i] = s;
  }
  auto zc = zs.to(torch::kFloat).contiguous();
  const float* zp = zc.data_ptr<float>();
  p.levels_on = 1;
  for (int i = 0; i < 4; ++i) {
    p.z[i] = zp[i];
    if (p.levels_on == i + 1 && zp[i] != 0.0f) p.levels_on = i + 2;
  }
  return p;
}

struct Layout {
  int64_t numel, chunks, chunk_len;
  bool per_channel;
};

Layout MakeLayout(const torch::Tensor& x, const torch::Tensor& z2) {
  Layout l;
  l.numel = x.numel();
  l.per_channel = z2.numel() > 1;
  if (l.per_channel) {
    l.chunks = z2.numel();
    l.chunk_len = l.numel / l.chunks;
  } else {
    l.chunk_len = kChunk;
    l.chunks = (l.numel + kChunk - 1) / kChunk;
  }
  return l;
}

torch::Tensor ForwardCpu(const torch::Tensor& x, const KernelParams& p, const torch::Tensor& z2) {
  auto xc = x.contiguous();
  auto out = torch::empty_like(xc);
  auto z2c = z2.to(torch::kFloat).contiguous();
  const float* xp = xc.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const float* z2p = z2c.data_ptr<float>();
  Layout lay = MakeLayout(xc, z2c);
  const RangeKernels kernels = ActiveKernels();
  at::parallel_for(0, lay.chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      float gate = lay.per_channel ? z2p[c] : z2p[0];
      int64_t from = c * lay.chunk_len, to = std::min(lay.numel, from + lay.chunk_len);
      if (gate == 0.0f) {  // pruned channel: skip every residual
        std::fill(op + from, op + to, 0.0f);
        continue;
      }
      kernels.forward(p, xp + from, op + from, to - from, gate);
    }
  });
  return out;
}

class BBQuantizeFunction : public torch::autograd::Function<BBQuantizeFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor x_max,
                               torch::Tensor z2, torch::Tensor zs, bool is_signed) {
    ctx->save_for_backward({x, x_max, z2, zs});
    ctx->saved_data["is_signed"] = is_signed;
    return ForwardCpu(x, MakeParams(x_max, zs, is_signed), z2);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor x = saved[0].contiguous(), x_max = saved[1], z2 = saved[2], zs = saved[3];
    bool is_signed = ctx->saved_data["is_signed"].toBool();
    KernelParams p = MakeParams(x_max, zs, is_signed);
    auto g = grad_outputs[0].contiguous();
    auto z2c = z2.to(torch::kFloat).contiguous();
    Layout lay = MakeLayout(x, z2c);

    auto grad_x = torch::empty_like(x);
    // Per chunk partial sums: [x_max, z4, z8, z16, z32, z2(chunk)], summed in chunk order.
    std::vector<Sums> partial(lay.chunks);
    const float* xp = x.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    const float* z2p = z2c.data_ptr<float>();
    float* gxp = grad_x.data_ptr<float>();
    const float inv_range = 1.0f / p.range;
    const float drange_dxmax = is_signed ? 2.0f : 1.0f;
    const RangeKernels kernels = ActiveKernels();

    at::parallel_for(0, lay.chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        float gate = lay.per_channel ? z2p[c] : z2p[0];
        int64_t from = c * lay.chunk_len, to = std::min(lay.numel, from + lay.chunk_len);
        if (gate == 0.0f) {
          // Exact: a zero gate came out of the hard-concrete clamp (gradient 0) or is fixed.
          std::fill(gxp + from, gxp + to, 0.0f);
          partial[c] = Sums{};
          continue;
        }
        BackwardConsts k;
        k.P[0] = gate;
        for (int l = 1; l < p.levels_on; ++l) k.P[l] = k.P[l - 1] * p.z[l - 1];
        k.P[p.levels_on] = 0.0f;
        for (int l = 0; l < p.levels_on; ++l) {
          k.w[l] = p.s[l] * (k.P[l] - k.P[l + 1]) * inv_range;
        }
        k.drange_dxmax = drange_dxmax;
        const float* xs = xp + from;
        const float* gs = gp + from;
        float* gxs = gxp + from;
        int64_t n = to - from;
        partial[c] = kernels.backward(p, k, xs, gs, gxs, n);
      }
    });

    std::array<double, 5> total{};
    auto grad_z2 = torch::zeros_like(z2c);
    float* gz2 = grad_z2.data_ptr<float>();
    for (int64_t c = 0; c < lay.chunks; ++c) {
      for (int k = 0; k < 5; ++k) total[k] += partial[c][k];
      if (lay.per_channel) {
        gz2[c] = static_cast<float>(partial[c][5]);
      } else {
        gz2[0] += static_cast<float>(partial[c][5]);
      }
    }
    auto grad_xmax = torch::full_like(x_max, static_cast<float>(total[0]));
    auto grad_zs = torch::tensor({static_cast<float>(total[1]), static_cast<float>(total[2]),
                                  static_cast<float>(total[3]), static_cast<float>(total[4])});
    return {grad_x, grad_xmax, grad_z2.to(z2.dtype()), grad_zs.to(zs.dtype()), torch::Tensor()};
  }
};

torch::Tensor SteRound(const torch::Tensor& t) { return t + (torch::round(t) - t).detach(); }

}  // namespace

std::vector<std::string> BBKernelInstructionSets() {
  std::vector<std::string> names;
  for (const auto& k : AvailableKernels()) names.push_back(k.name);
  return names;
}

std::string BBKernelInstructionSet() { return ActiveKernels().name; }

bool UseBBKernelInstructionSet(const std::string& name) {
  const auto& available = AvailableKernels();
  for (size_t i = 0; i < available.size(); ++i) {
    if (name == available[i].name) {
      selected_kernels.store(static_cast<int>(i), std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

torch::Tensor BBQuantize(const torch::Tensor& x, const torch::Tensor& x_max, const torch::Tensor& z2,
                         const torch::Tensor& zs, bool is_signed) {
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat) {
    return BBQuantizeComposite(x, x_max, z2, zs, is_signed);
  }
  return BBQuantizeFunction::apply(x, x_max, z2, zs, is_signed);
}

torch::Tensor BBQuantizeComposite(const torch::Tensor& x, const torch::Tensor& x_max,
                                  const torch::Tensor& z2, const torch::Tensor& zs, bool is_signed) {
  torch::Tensor hi = x_max * kClipShrink;
  torch::Tensor lo = is_signed ? -hi : torch::zeros_like(x_max);
  torch::Tensor zc = hi - torch::relu(hi - lo - torch::relu(x - lo));
  torch::Tensor s = (is_signed ? 2 * x_max : x_max) / kBBDivisors[0];
  torch::Tensor q = s * SteRound(zc / s);
  std::vector<torch::Tensor> levels = {q};
  torch::Tensor v = zc - q;
  for (int l = 1; l < 5; ++l) {
    s = s / kBBDivisors[l];
    torch::Tensor e = s * SteRound(v / s);
    levels.push_back(e);
    v = v - e;
  }
  torch::Tensor acc = levels[4];
  for (int l = 3; l >= 0; --l) acc = levels[l] + zs[l] * acc;
  std::vector<int64_t> gate_shape(x.dim(), 1);
  if (z2.numel() > 1) gate_shape[0] = z2.numel();
  return z2.reshape(gate_shape) * acc;
}

}  // namespace bitsearch
