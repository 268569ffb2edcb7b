// The `bitsearch` commands that talk to a bitsearch server over gRPC: submit, watch, list, get,
// result, cancel, and the bench-load load generator. The server address and token come from
// --server / --token-file, else BITSEARCH_SERVER / BITSEARCH_TOKEN (the token itself), else
// 127.0.0.1:50051 without a token. --tls-ca-file (or BITSEARCH_TLS_CA) switches to TLS.
//
// On failure a command prints one line, "bitsearch: <reason>", on stderr and throws
// CLI::RuntimeError with a non-zero exit code (main turns it into the process exit code).
// Thread-safety: run from main's thread; bench-load starts and joins its own threads.
#ifndef BITSEARCH_CLIENT_SERVICE_COMMANDS_H_
#define BITSEARCH_CLIENT_SERVICE_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace bitsearch {

void AddServiceCommands(CLI::App& app);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_SERVICE_COMMANDS_H_
