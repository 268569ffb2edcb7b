// `bitsearch profiles ...`: list, show, export-spec and import hardware profiles in the local
// profiles folder (--profiles-dir, else $BITSEARCH_HOME/profiles, else ~/.bitsearch/profiles).
//
// These commands work without a server and without LibTorch. `export-spec --model NAME` needs a
// model's layer signatures, which only the LibTorch graph knows: the caller passes them in
// through `model_signatures` (left empty, `--model` answers that it is not available and
// `--model-signatures FILE.json` still works). Thread-safety: run from main's thread only.
#ifndef BITSEARCH_CLIENT_PROFILE_COMMANDS_H_
#define BITSEARCH_CLIENT_PROFILE_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/layer_signature.h"

namespace bitsearch {

// The unique conv/linear layer signatures of a zoo model (or ONNX path), in graph order.
using ModelSignaturesFn =
    std::function<absl::StatusOr<std::vector<LayerSignature>>(const std::string& model)>;

// Adds the `profiles` subcommand group. On failure a subcommand prints one line,
// "bitsearch: <reason>", on stderr and throws CLI::RuntimeError with a non-zero exit code.
void AddProfileCommands(CLI::App& app, ModelSignaturesFn model_signatures = nullptr);

// Reads signatures from JSON: an array of signature objects, or {"signatures": [...]}; each
// object as SignatureFromJson reads it. Errors name the file and the entry.
absl::StatusOr<std::vector<LayerSignature>> ReadSignaturesJson(const std::string& path);

// The measurement spec CSV for `signatures` over the grid bits x bits (duplicates merged).
absl::StatusOr<std::string> ExportSpecForSignatures(const std::vector<LayerSignature>& signatures,
                                                    const std::vector<int>& bits);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_PROFILE_COMMANDS_H_
