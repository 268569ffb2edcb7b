// The host-measured latency model: times every layer signature on this
// machine with real LibTorch kernels, so a user without a board still gets a measured table.
//
// What runs for an (act_bits, weight_bits) pair:
//   - both <= 8: LibTorch's quantized int8 kernels (quantized::conv2d / quantized::linear on
//     prepacked weights, called through the dispatcher on the chosen engine: FBGEMM, oneDNN or
//     QNNPACK). A 4- or 2-bit operand is stored packed and unpacked to 8 bits on every call
//     (weights to int8, activations to uint8, in C++ over the packed bytes) before the int8
//     kernel, which is what a device without sub-byte arithmetic pays. The int8 kernel reads its
//     weights in the engine's own prepacked layout; the unpack writes plain int8 of the same size,
//     as a device kernel would write its own layout at the same cost.
//   - otherwise (a 16- or 32-bit operand): a float kernel (torch::conv2d / torch::linear). With a
//     32-bit operand the kernel is fp32. With 16 as the widest, both a bf16 kernel and an fp32
//     kernel (bf16 operands widened on each call) are timed and the faster is kept. Operands
//     narrower than the kernel are converted on each call (an 8-bit operand is dequantized, a
//     4- or 2-bit one unpacked first).
// Only the consuming layer pays an unpack; packing a layer's output for its consumer is not
// counted. Each row is the median of `repeats` timed samples after `warmup` untimed calls, in
// seconds per call (batch 1). The samples of all bit pairs of one signature are taken in turn,
// repeat after repeat, so a change of load on a shared machine moves a layer's pairs together.
//
// Thread-safety: MeasureSignatures changes process-wide LibTorch settings (intra-op threads and
// the quantized engine) for its duration and restores them afterwards; do not run it while other
// threads of the process use LibTorch. The pack/unpack helpers (sub_byte.h) are pure.
#ifndef BITSEARCH_LATENCY_MODELS_HOST_PROFILER_HOST_PROFILER_H_
#define BITSEARCH_LATENCY_MODELS_HOST_PROFILER_HOST_PROFILER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/layer_signature.h"
#include "latency_models/lookup_table_model.h"

namespace bitsearch {

struct HostProfilerOptions {
  // LibTorch intra-op threads while measuring (the unpack loops use the same pool).
  int threads = 1;
  // Untimed calls before the samples of each (signature, bit pair).
  int warmup = 5;
  // Timed samples per (signature, bit pair); the row's latency is their median.
  int repeats = 25;
  // A sample repeats the call until it lasts at least this long and divides, so that
  // microsecond layers are not dominated by the clock's resolution.
  double min_sample_seconds = 50e-6;
  // (act_bits, weight_bits) pairs to measure, each bit width in {2, 4, 8, 16, 32}; empty means
  // HostDefaultBitPairs().
  std::vector<std::pair<int, int>> bit_pairs;
  // Quantized engine: "fbgemm", "onednn", "qnnpack", or empty for the best one available.
  std::string qengine;
  // Called after each measured row with (rows done, rows in all); may be empty.
  std::function<void(size_t, size_t)> progress;
};

// One measured row and how it was obtained.
struct MeasuredRow {
  LatencyRow row;            // latency: median seconds per call
  std::string kernel;        // what ran, e.g. "int8 quantized::conv2d [onednn] + unpack w4"
  double min_seconds = 0.0;  // the fastest sample
  int calls_per_sample = 1;  // calls averaged within one sample
};

struct HostMeasurement {
  std::vector<MeasuredRow> rows;  // sorted by signature, then act_bits, then weight_bits
  std::string qengine;            // the quantized engine used for the int8 rows
  int threads = 1;
  std::string host;               // CPU model and LibTorch version, for the profile description
};

// {2, 4, 8, 16, 32} x {2, 4, 8, 16, 32} as (act_bits, weight_bits): every pair a job's search,
// refinement and result may ask a profile for.
std::vector<std::pair<int, int>> HostDefaultBitPairs();

// The quantized engines this LibTorch build supports, lower-case ("fbgemm", "onednn", ...).
std::vector<std::string> AvailableQuantizedEngines();

// Times every unique signature (duplicates merged) at every bit pair. InvalidArgument for an
// invalid signature, bit width or option, or an engine this build lacks; Internal when LibTorch
// rejects a kernel call (the message carries its reason).
absl::StatusOr<HostMeasurement> MeasureSignatures(const std::vector<LayerSignature>& signatures,
                                                  const HostProfilerOptions& options);

// The rows alone, ready for RowsToCsv / LookupTableModel::Create.
std::vector<LatencyRow> LatencyRows(const HostMeasurement& measurement);

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_HOST_PROFILER_HOST_PROFILER_H_
