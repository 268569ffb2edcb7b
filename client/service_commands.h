// The `bitsearch` commands that talk to a bitsearch server over gRPC: submit, watch, list, get,
// result, cancel (bench-load and compare have files of their own). The server address and token
// come from --server / --token-file, else BITSEARCH_SERVER / BITSEARCH_TOKEN (the token itself), else
// 127.0.0.1:50051 without a token. --tls-ca-file (or BITSEARCH_TLS_CA) switches to TLS.
//
// On failure a command prints one line, "bitsearch: <reason>", on stderr and throws
// CLI::RuntimeError with a non-zero exit code (main turns it into the process exit code).
// Thread-safety: run from main's thread.
#ifndef BITSEARCH_CLIENT_SERVICE_COMMANDS_H_
#define BITSEARCH_CLIENT_SERVICE_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <memory>

#include "client/cli_common.h"
#include "client/service_client.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

// Adds the server commands; their --server/--token-file/--tls-ca-file write into `connection`
// (shared with the top-level app's global options).
void AddServiceCommands(CLI::App& app, std::shared_ptr<ConnectionFlags> connection);

// The result JSON of a finished job (dies with the CLI's exit codes when the server refuses or
// the stored text is not JSON); `response`, when given, receives the whole reply (export files).
nlohmann::json FetchResult(ServiceClient& client, const std::string& id, bool include_export = false,
                           bitsearch::v1::GetResultResponse* response = nullptr);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_SERVICE_COMMANDS_H_
