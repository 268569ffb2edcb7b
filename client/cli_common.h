// What every `bitsearch` subcommand shares: the exit codes of the CLI contract and the server
// connection flags, which are accepted before the subcommand (`bitsearch --server X submit ...`)
// and after it (`bitsearch submit ... --server X`) and land in one ConnectionFlags.
//
// Header-only and free of gRPC, so that the `profiles` commands (tested without the rest of the
// client) use the same definitions. Thread-safety: set up and read from main's thread.
#ifndef BITSEARCH_CLIENT_CLI_COMMON_H_
#define BITSEARCH_CLIENT_CLI_COMMON_H_

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "absl/status/status.h"

namespace bitsearch {

// Exit codes (README "Exit codes"): 0 success; 1 a failure (server unreachable or refusing, job
// FAILED or CANCELLED, a file that cannot be written); 2 usage or invalid input (a command line
// CLI11 rejects, a spec or file named on the command line that cannot be read or is invalid, an
// id or name the server does not know); 130 interrupted (Ctrl-C).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

// The exit code for a failed status: kExitUsage where the input named on the command line is at
// fault (invalid or not found), kExitFailure otherwise.
inline int ExitCodeFor(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound
             ? kExitUsage
             : kExitFailure;
}

// Where a server-talking command connects ("" = not given on the command line; the environment
// and the defaults are applied by ServiceClient).
struct ConnectionFlags {
  std::string server;      // --server HOST:PORT (else BITSEARCH_SERVER, else 127.0.0.1:50051)
  std::string token_file;  // --token-file (else the token itself in BITSEARCH_TOKEN)
  std::string tls_ca;      // --tls-ca-file (else BITSEARCH_TLS_CA; unset = plaintext)
};

// Adds --server, --token-file and --tls-ca-file to `cmd`, writing into `flags` (the same object
// for the top-level app and every subcommand, so either position works).
inline void AddConnectionOptions(CLI::App* cmd, const std::shared_ptr<ConnectionFlags>& flags) {
  cmd->add_option("--server", flags->server, "server HOST:PORT (env BITSEARCH_SERVER)");
  cmd->add_option("--token-file", flags->token_file,
                  "file with the bearer token (env BITSEARCH_TOKEN: the token itself)");
  cmd->add_option("--tls-ca-file", flags->tls_ca,
                  "PEM CA to verify a TLS server (env BITSEARCH_TLS_CA)");
}

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_CLI_COMMON_H_
