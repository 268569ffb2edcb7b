// `bitsearch profiles measure`: times every unique conv/linear layer signature of a zoo model on
// this machine with real LibTorch kernels (latency_models/host_profiler) and writes the measured
// table as CSV; with --name it also imports the table as a profile a job can name in
// `"hardware": {"profile": NAME}`.
//
// Thread-safety: run from main's thread only (the measurement changes LibTorch's process-wide
// thread count and quantized engine while it runs).
#ifndef BITSEARCH_CLIENT_PROFILE_MEASURE_COMMAND_H_
#define BITSEARCH_CLIENT_PROFILE_MEASURE_COMMAND_H_

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/layer_signature.h"

namespace bitsearch {

// Adds `measure` to the `profiles` subcommand group (what AddProfileCommands created). Its
// --profiles-dir is read from that group. On failure it prints "bitsearch: <reason>" on stderr and
// throws CLI::RuntimeError with a non-zero exit code.
void AddProfileMeasureCommand(CLI::App& profiles);

// `measure`'s one-line help, also shown for it by the LibTorch-free `bitsearch` (cli_main.h).
inline constexpr char kMeasureCommandHelp[] =
    "Time every unique layer signature of a model on this machine (fp32, bf16, int8, int8 with "
    "4-/2-bit unpacking) and write the measured table";

// The conv/linear signatures of zoo model `model` built for inputs {C,H,W} with `classes` outputs
// and channel multiplier `width`, in layer order (duplicates kept).
absl::StatusOr<std::vector<LayerSignature>> ZooModelSignatures(const std::string& model,
                                                               const std::vector<int64_t>& input,
                                                               int64_t classes, double width);

// `profiles export-spec --model`: the signatures of a zoo model at the input of its usual data set
// (lenet5: 1x28x28, the others 3x32x32; 10 classes, width 1), or of an ONNX file (a path ending
// in .onnx) at its declared input shape.
absl::StatusOr<std::vector<LayerSignature>> SignaturesOfModel(const std::string& model);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_PROFILE_MEASURE_COMMAND_H_
