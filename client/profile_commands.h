// `bitsearch profiles ...`: list, show, export-spec and import hardware profiles in the local
// profiles folder (--profiles-dir, else $BITSEARCH_HOME/profiles, else ~/.bitsearch/profiles), or,
// for list/show/import, in a bitsearch server when one is configured (see ProfileServer).
//
// These commands work without a server and without LibTorch. `export-spec --model NAME` needs a
// model's layer signatures, which only the LibTorch graph knows: the caller passes them in
// through `model_signatures` (left empty, `--model` answers that it is not available and
// `--model-signatures FILE.json` still works). Thread-safety: run from main's thread only.
#ifndef BITSEARCH_CLIENT_PROFILE_COMMANDS_H_
#define BITSEARCH_CLIENT_PROFILE_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli_common.h"
#include "latency_models/layer_signature.h"

namespace bitsearch {

// The unique conv/linear layer signatures of a zoo model (or ONNX path), in graph order.
using ModelSignaturesFn =
    std::function<absl::StatusOr<std::vector<LayerSignature>>(const std::string& model)>;

// A bitsearch server's profile store, which `profiles list|show|import` use instead of the local
// folder when a server is configured (--server, or BITSEARCH_SERVER; --local forces the folder).
// client/remote_profiles.cc implements it over gRPC; tests may fake it.
class ProfileServer {
 public:
  virtual ~ProfileServer() = default;
  // Where the profiles live, for messages ("server 127.0.0.1:50051").
  virtual std::string Describe() const = 0;
  // Names of the profiles stored in the server (built-ins not included), sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListNames() = 0;
  // The stored profile as the JSON a job runs with (a measured CSV converted to a "lut" profile).
  virtual absl::StatusOr<std::string> GetProfileJson(const std::string& name) = 0;
  // Stores a profile JSON under `name`; the server validates it again.
  virtual absl::Status PutProfileJson(const std::string& name, const std::string& json) = 0;
};

// The server flags of a `profiles` subcommand ("" = not given).
using ProfileServerFlags = ConnectionFlags;

// Connects to the configured server; called only when --server or BITSEARCH_SERVER is set.
using ProfileServerFn = std::function<absl::StatusOr<std::unique_ptr<ProfileServer>>(
    const ProfileServerFlags& flags)>;

// Adds the `profiles` subcommand group. On failure a subcommand prints one line,
// "bitsearch: <reason>", on stderr and throws CLI::RuntimeError with a non-zero exit code.
// Without `profile_server`, a configured server is an error for list/show/import (this build
// cannot reach one) unless --local is given. `connection` receives the subcommands' --server,
// --token-file and --tls-ca-file; pass the top-level app's flags so that global options apply
// (nullptr: the group keeps its own).
void AddProfileCommands(CLI::App& app, ModelSignaturesFn model_signatures = nullptr,
                        ProfileServerFn profile_server = nullptr,
                        std::shared_ptr<ConnectionFlags> connection = nullptr);

// Reads signatures from JSON: an array of signature objects, or {"signatures": [...]}; each
// object as SignatureFromJson reads it. Errors name the file and the entry.
absl::StatusOr<std::vector<LayerSignature>> ReadSignaturesJson(const std::string& path);

// The measurement spec CSV for `signatures` over the grid bits x bits (duplicates merged).
absl::StatusOr<std::string> ExportSpecForSignatures(const std::vector<LayerSignature>& signatures,
                                                    const std::vector<int>& bits);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_PROFILE_COMMANDS_H_
