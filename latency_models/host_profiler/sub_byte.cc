#include "latency_models/host_profiler/sub_byte.h"

namespace bitsearch {
namespace {

template <int kBits, bool kSigned, typename Out>
void UnpackT(const uint8_t* packed, int64_t n, Out* out) {
  constexpr int kPerByte = 8 / kBits;
  constexpr unsigned kMask = (1u << kBits) - 1u;
  constexpr int kShift = 8 - kBits;
  auto extend = [](unsigned v) -> Out {
    if constexpr (kSigned) {
      // Move the field's sign bit to bit 7, then shift back arithmetically.
      return static_cast<Out>(static_cast<int8_t>(static_cast<uint8_t>(v << kShift)) >> kShift);
    } else {
      return static_cast<Out>(v);
    }
  };
  const int64_t full = n / kPerByte;
  // Fixed trip count per byte: the compiler unrolls and vectorises this, as a device kernel
  // would use shifts and masks (or a byte shuffle) rather than a loop per value.
  for (int64_t i = 0; i < full; ++i) {
    const unsigned b = packed[i];
    Out* o = out + i * kPerByte;
    for (int k = 0; k < kPerByte; ++k) o[k] = extend((b >> (k * kBits)) & kMask);
  }
  for (int64_t j = full * kPerByte; j < n; ++j) {
    const unsigned b = packed[j / kPerByte];
    out[j] = extend((b >> ((j % kPerByte) * kBits)) & kMask);
  }
}

template <typename In>
std::vector<uint8_t> PackT(const In* values, int64_t n, int bits) {
  std::vector<uint8_t> out(PackedBytes(n, bits), 0);
  const int per_byte = 8 / bits;
  const unsigned mask = (1u << bits) - 1u;
  for (int64_t i = 0; i < n; ++i) {
    const unsigned v = static_cast<uint8_t>(values[i]) & mask;
    out[i / per_byte] |= static_cast<uint8_t>(v << ((i % per_byte) * bits));
  }
  return out;
}

}  // namespace

bool IsPackableBits(int bits) { return bits == 2 || bits == 4; }

int64_t PackedBytes(int64_t n, int bits) {
  const int per_byte = 8 / bits;
  return (n + per_byte - 1) / per_byte;
}

std::vector<uint8_t> PackSigned(const int8_t* values, int64_t n, int bits) {
  return PackT(values, n, bits);
}

std::vector<uint8_t> PackUnsigned(const uint8_t* values, int64_t n, int bits) {
  return PackT(values, n, bits);
}

void UnpackSigned(const uint8_t* packed, int64_t n, int bits, int8_t* out) {
  if (bits == 4) {
    UnpackT<4, true>(packed, n, out);
  } else {
    UnpackT<2, true>(packed, n, out);
  }
}

void UnpackUnsigned(const uint8_t* packed, int64_t n, int bits, uint8_t* out) {
  if (bits == 4) {
    UnpackT<4, false>(packed, n, out);
  } else {
    UnpackT<2, false>(packed, n, out);
  }
}

}  // namespace bitsearch
