// Packing of 2- and 4-bit integers into bytes, and the unpacking to 8 bits that a device without
// sub-byte arithmetic runs before its int8 kernel (the cost the host profiler measures).
//
// Layout: value i sits in byte i / (8 / bits), at bit offset (i % (8 / bits)) * bits (the low
// bits first, as in the PULP-NN kernels). Weights are signed two's complement in
// [-2^(bits-1), 2^(bits-1) - 1]; activations are unsigned in [0, 2^bits - 1].
// Thread-safety: pure functions over caller-owned buffers.
#ifndef BITSEARCH_LATENCY_MODELS_HOST_PROFILER_SUB_BYTE_H_
#define BITSEARCH_LATENCY_MODELS_HOST_PROFILER_SUB_BYTE_H_

#include <cstdint>
#include <vector>

namespace bitsearch {

// True for the widths these functions handle (2 and 4; 8 needs no packing).
bool IsPackableBits(int bits);

// Bytes needed for `n` values of `bits` bits.
int64_t PackedBytes(int64_t n, int bits);

// Packs `n` signed values (each must fit in `bits` bits; higher bits are dropped).
std::vector<uint8_t> PackSigned(const int8_t* values, int64_t n, int bits);
// Packs `n` unsigned values (each must fit in `bits` bits; higher bits are dropped).
std::vector<uint8_t> PackUnsigned(const uint8_t* values, int64_t n, int bits);

// Unpacks `n` values from `packed` into `out` (n bytes), sign-extending each.
void UnpackSigned(const uint8_t* packed, int64_t n, int bits, int8_t* out);
// Unpacks `n` values from `packed` into `out` (n bytes), zero-extending each.
void UnpackUnsigned(const uint8_t* packed, int64_t n, int bits, uint8_t* out);

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_HOST_PROFILER_SUB_BYTE_H_
