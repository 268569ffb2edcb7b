#include "search/bb_kernel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

namespace bitsearch {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Chunk size for activation tensors: a fixed number so reductions are deterministic.
constexpr int64_t kChunk = 16384;

// The clip bound sits just inside x_max so that no value lands exactly on a rounding tie at the
// grid's edge (x_max / s2 = 1.5 for signed tensors), which would add a level (as the reference
// quantizer does it).
constexpr float kClipShrink = 1.0f - 1e-7f;

struct KernelParams {
  float lo, hi;        // clip bounds (shrunk)
  float range;         // hi - lo
  float s[5];          // step sizes s2 .. s32
  float z[4];          // z4 .. z32
  int levels_on;       // 1 + number of consecutive non-zero gates among z4..z32
  bool is_signed;
};

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

// The per-element arithmetic is written once for `T` = float (tails, scalar oracle) and for
// `T` = Vec, four lanes in GCC/Clang vector extensions (SSE2 on x86-64, NEON on arm64), so both
// paths compute bit-identical values per element. L = the number of active levels (1..5), a
// template argument so that the level loops unroll.
using Vec = float __attribute__((vector_size(16)));
constexpr int kLanes = 4;

template <class T>
inline T Splat(float f) {
  if constexpr (std::is_same_v<T, float>) {
    return f;
  } else {
    return T{f, f, f, f};
  }
}

// std::max's exact semantics (the first argument on ties), lane-wise too.
template <class T>
inline T Max(T a, T b) {
  return a < b ? b : a;
}

// Clip in the PACT form x_max - relu(x_max - x_min - relu(x - x_min)): the same float result as
// the reference, which a plain min/max does not always give.
template <class T>
inline T Clip(const KernelParams& p, T x) {
  T inner = Max(x - p.lo, Splat<T>(0.0f));
  T t = Max(Splat<T>(p.hi - p.lo) - inner, Splat<T>(0.0f));
  return p.hi - t;
}

// Round half to even, as std::nearbyint does in the default rounding mode, without its call:
// glibc's nearbyintf saves and restores the floating-point environment on every call, which made
// it the kernel's largest cost (and kept the loop scalar). Adding 1.5 * 2^23 leaves no fraction
// bits, so the addition itself rounds; exact for |t| < 2^22, and every t here is below 65537 (a
// residual over the next step).
template <class T>
inline T RoundHalfEven(T t) {
  const T magic = Splat<T>(12582912.0f);  // 1.5 * 2^23
  return (t + magic) - magic;             // not folded to t: no -ffast-math on our targets
}

// Decomposes one clipped value into the residuals q of the L active levels and their rounding
// errors delta = round(t) - t.
template <int L, class T>
inline void Decompose(const KernelParams& p, T zc, T* q, T* delta) {
  T v = zc;
  for (int l = 0; l < L; ++l) {
    T t = v / p.s[l];
    T r = RoundHalfEven(t);
    q[l] = p.s[l] * r;
    delta[l] = r - t;
    v = v - q[l];
  }
}

// Horner evaluation from the top level, as the nested formula reads; t_out[l] = the partial sum
// from level l up (what d x_q / d z of level l multiplies).
template <int L, class T>
inline T Nested(const KernelParams& p, const T* q, T* t_out) {
  T acc = q[L - 1];
  t_out[L - 1] = acc;
  for (int l = L - 2; l >= 0; --l) {
    acc = q[l] + p.z[l] * acc;  // z[l] gates level l + 1
    t_out[l] = acc;
  }
  return acc;
}

template <class T>
inline T Load(const float* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <class T>
inline void Store(float* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

template <int L, class T>
inline T QuantizeOne(const KernelParams& p, T x, float gate) {
  T q[L], delta[L], t[L];
  Decompose<L>(p, Clip(p, x), q, delta);
  return gate * Nested<L>(p, q, t);
}

template <int L>
void ForwardRange(const KernelParams& p, const float* x, float* out, int64_t n, float gate) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) Store(out + i, QuantizeOne<L>(p, Load<Vec>(x + i), gate));
  for (; i < n; ++i) out[i] = QuantizeOne<L>(p, x[i], gate);
}

// Per-level constants of the backward pass for one gate value z2.
struct BackwardConsts {
  float P[6];  // P[l] = z2 * z4 * ... up to level l; P[L] = 0
  float w[5];  // weight of each level's rounding error in d x_q / d range
  float drange_dxmax;
};

// Sums of one range's gradient contributions: [x_max, z4, z8, z16, z32, z2].
using Sums = std::array<double, 6>;

template <class T>
inline double LaneSum(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return static_cast<double>(v[0]) + v[1] + v[2] + v[3];
  }
}

// One element (or four): writes d/dx and adds the contributions to x_max and the gates to `acc`
// (per-lane float partials, summed in double per block by the caller).
template <int L, class T>
inline T BackwardOne(const KernelParams& p, const BackwardConsts& k, T xv, T gv, T* acc) {
  T q[L], delta[L], t[L];
  Decompose<L>(p, Clip(p, xv), q, delta);
  Nested<L>(p, q, t);
  const T zero = Splat<T>(0.0f), lo = Splat<T>(p.lo), hi = Splat<T>(p.hi);
  T gx;
  if constexpr (std::is_same_v<T, float>) {
    gx = (xv >= lo && xv <= hi) ? gv * k.P[0] : zero;
  } else {
    gx = ((xv >= lo) & (xv <= hi)) ? gv * k.P[0] : zero;
  }
  T below = p.is_signed ? (xv < lo ? Splat<T>(-kClipShrink) : zero) : zero;
  T dzc_dxmax = xv > hi ? Splat<T>(kClipShrink) : below;
  T dxq_drange = zero;
  for (int l = 0; l < L; ++l) dxq_drange += k.w[l] * delta[l];
  acc[0] += gv * (k.P[0] * dzc_dxmax + k.drange_dxmax * dxq_drange);
  acc[5] += gv * t[0];                                  // d x_q / d z2 = T_0
  for (int l = 1; l < L; ++l) acc[l] += gv * k.P[l - 1] * t[l];  // d x_q / d z_l = P[l-1] T_l
  return gx;
}

// Backward over n elements sharing one gate. Float partials live at most kBlock elements before
// they are added to the double sums, so precision does not depend on the range's length.
template <int L>
Sums BackwardRange(const KernelParams& p, const BackwardConsts& k, const float* x, const float* g,
                   float* gx, int64_t n) {
  constexpr int64_t kBlock = 256;
  Sums sums{};
  int64_t i = 0;
  while (i < n) {
    int64_t block_end = std::min(n, i + kBlock);
    Vec vacc[6] = {};
    for (; i + kLanes <= block_end; i += kLanes) {
      Store(gx + i, BackwardOne<L>(p, k, Load<Vec>(x + i), Load<Vec>(g + i), vacc));
    }
    float sacc[6] = {};
    for (; i < block_end; ++i) gx[i] = BackwardOne<L>(p, k, x[i], g[i], sacc);
    for (int j = 0; j < 6; ++j) sums[j] += LaneSum(vacc[j]) + sacc[j];
  }
  return sums;
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

// Calls fn(std::integral_constant<int, L>{}) for the active level count L (1..5), so the per-level
// loops of the forward and backward bodies unroll.
template <class Fn>
auto WithLevels(int levels_on, Fn&& fn) {
  switch (levels_on) {
    case 1: return fn(std::integral_constant<int, 1>{});
    case 2: return fn(std::integral_constant<int, 2>{});
    case 3: return fn(std::integral_constant<int, 3>{});
    case 4: return fn(std::integral_constant<int, 4>{});
    default: return fn(std::integral_constant<int, 5>{});
  }
}

torch::Tensor ForwardCpu(const torch::Tensor& x, const KernelParams& p, const torch::Tensor& z2) {
  auto xc = x.contiguous();
  auto out = torch::empty_like(xc);
  auto z2c = z2.to(torch::kFloat).contiguous();
  const float* xp = xc.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const float* z2p = z2c.data_ptr<float>();
  Layout lay = MakeLayout(xc, z2c);
  at::parallel_for(0, lay.chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      float gate = lay.per_channel ? z2p[c] : z2p[0];
      int64_t from = c * lay.chunk_len, to = std::min(lay.numel, from + lay.chunk_len);
      if (gate == 0.0f) {  // pruned channel: skip every residual
        std::fill(op + from, op + to, 0.0f);
        continue;
      }
      WithLevels(p.levels_on, [&](auto levels) {
        ForwardRange<levels.value>(p, xp + from, op + from, to - from, gate);
      });
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
        partial[c] = WithLevels(p.levels_on, [&](auto levels) {
          return BackwardRange<levels.value>(p, k, xs, gs, gxs, n);
        });
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
