// The Bayesian Bits kernel's per-element arithmetic and its loops over one range of elements,
// written once for `float` (tails) and for vectors of W lanes in GCC/Clang vector extensions.
// Each bb_kernel_isa_*.cc includes this file and is compiled for one instruction set (W = 4: the
// generic one; 8: AVX2), so the wider loops run where the CPU has them. Every
// instruction set computes the same IEEE operations per element, in the same order, and the wide
// loops fold their gradient contributions into four-lane partial sums in the order the four-lane
// loop adds them: outputs and gradients are bit-identical whichever set runs. Everything here has
// internal linkage, so copies compiled for different instruction sets never mix at link time.
#ifndef BITSEARCH_SEARCH_BB_KERNEL_LANES_H_
#define BITSEARCH_SEARCH_BB_KERNEL_LANES_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "search/bb_kernel_internal.h"

namespace bitsearch::bb_kernel_internal {
namespace {

template <int W>
struct LaneVector;
template <>
struct LaneVector<4> {
  using type = float __attribute__((vector_size(16)));
};
template <>
struct LaneVector<8> {
  using type = float __attribute__((vector_size(32)));
};
template <int W>
using Vec = typename LaneVector<W>::type;
using Vec4 = Vec<4>;

template <class T>
constexpr int LanesOf() {
  if constexpr (std::is_same_v<T, float>) {
    return 1;
  } else {
    return static_cast<int>(sizeof(T) / sizeof(float));
  }
}

template <class T>
inline T Splat(float f) {
  if constexpr (std::is_same_v<T, float>) {
    return f;
  } else {
    T v;
    for (int i = 0; i < LanesOf<T>(); ++i) v[i] = f;
    return v;
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
// residual over the next step). The kernel's files are built with -ffp-contract=off and without
// -ffast-math, so neither this nor any product-plus-sum below is folded or fused.
template <class T>
inline T RoundHalfEven(T t) {
  const T magic = Splat<T>(12582912.0f);  // 1.5 * 2^23
  return (t + magic) - magic;
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

// Lanes [4q, 4q + 4) of a wide vector.
template <class T>
inline Vec4 Quarter(T v, int q) {
  return Vec4{v[4 * q], v[4 * q + 1], v[4 * q + 2], v[4 * q + 3]};
}

template <int L, class T>
inline T QuantizeOne(const KernelParams& p, T x, float gate) {
  T q[L], delta[L], t[L];
  Decompose<L>(p, Clip(p, x), q, delta);
  return gate * Nested<L>(p, q, t);
}

template <int L, int W>
void ForwardRange(const KernelParams& p, const float* x, float* out, int64_t n, float gate) {
  int64_t i = 0;
  if constexpr (W > 4) {
    for (; i + W <= n; i += W) Store(out + i, QuantizeOne<L>(p, Load<Vec<W>>(x + i), gate));
  }
  for (; i + 4 <= n; i += 4) Store(out + i, QuantizeOne<L>(p, Load<Vec4>(x + i), gate));
  for (; i < n; ++i) out[i] = QuantizeOne<L>(p, x[i], gate);
}

template <class T>
inline double LaneSum(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return static_cast<double>(v[0]) + v[1] + v[2] + v[3];
  }
}

// One element (or one vector of them): returns d/dx and writes the contributions to x_max and
// the gates to c ([x_max, z4, z8, z16, z32, z2]; only the first L - 1 gate entries).
template <int L, class T>
inline T BackwardOne(const KernelParams& p, const BackwardConsts& k, T xv, T gv, T* c) {
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
  c[0] = gv * (k.P[0] * dzc_dxmax + k.drange_dxmax * dxq_drange);
  c[5] = gv * t[0];                                       // d x_q / d z2 = T_0
  for (int l = 1; l < L; ++l) c[l] = gv * k.P[l - 1] * t[l];  // d x_q / d z_l = P[l-1] T_l
  return gx;
}

// Adds contributions c to the partial sums acc, only the entries BackwardOne wrote.
template <int L, class T, class A>
inline void Accumulate(const T* c, A* acc) {
  acc[0] += c[0];
  acc[5] += c[5];
  for (int l = 1; l < L; ++l) acc[l] += c[l];
}

// Backward over n elements sharing one gate. Float partials (four lanes, whatever W) live at most
// kBlock elements before they are added to the double sums, so precision does not depend on the
// range's length.
template <int L, int W>
Sums BackwardRange(const KernelParams& p, const BackwardConsts& k, const float* x, const float* g,
                   float* gx, int64_t n) {
  constexpr int64_t kBlock = 256;
  static_assert(kBlock % W == 0, "a block holds whole vectors");
  Sums sums{};
  int64_t i = 0;
  while (i < n) {
    int64_t block_end = std::min(n, i + kBlock);
    Vec4 vacc[6] = {};
    if constexpr (W > 4) {
      for (; i + W <= block_end; i += W) {
        Vec<W> c[6] = {};  // every entry: the fold below reads all six
        Store(gx + i, BackwardOne<L>(p, k, Load<Vec<W>>(x + i), Load<Vec<W>>(g + i), c));
        for (int q = 0; q < W / 4; ++q) {  // elements i + 4q .. i + 4q + 3, as the 4-lane loop
          Vec4 cq[6];
          for (int j = 0; j < 6; ++j) cq[j] = Quarter(c[j], q);
          Accumulate<L>(cq, vacc);
        }
      }
    }
    for (; i + 4 <= block_end; i += 4) {
      Vec4 c[6];
      Store(gx + i, BackwardOne<L>(p, k, Load<Vec4>(x + i), Load<Vec4>(g + i), c));
      Accumulate<L>(c, vacc);
    }
    float sacc[6] = {};
    for (; i < block_end; ++i) {
      float c[6];
      gx[i] = BackwardOne<L>(p, k, x[i], g[i], c);
      Accumulate<L>(c, sacc);
    }
    for (int j = 0; j < 6; ++j) sums[j] += LaneSum(vacc[j]) + sacc[j];
  }
  return sums;
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

template <int W>
void Forward(const KernelParams& p, const float* x, float* out, int64_t n, float gate) {
  WithLevels(p.levels_on, [&](auto levels) { ForwardRange<levels.value, W>(p, x, out, n, gate); });
}

template <int W>
Sums Backward(const KernelParams& p, const BackwardConsts& k, const float* x, const float* g,
              float* gx, int64_t n) {
  return WithLevels(p.levels_on,
                    [&](auto levels) { return BackwardRange<levels.value, W>(p, k, x, g, gx, n); });
}

template <int W>
RangeKernels MakeRangeKernels(const char* name) {
  return RangeKernels{name, &Forward<W>, &Backward<W>};
}

}  // namespace
}  // namespace bitsearch::bb_kernel_internal

#endif  // BITSEARCH_SEARCH_BB_KERNEL_LANES_H_
