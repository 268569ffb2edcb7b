// The `bitsearch` command line, shared by its two binaries:
//  - `bitsearch` itself, free of LibTorch, so that the service commands (submit, watch, get, list,
//    result, ...) start in milliseconds instead of the second or so that loading LibTorch takes;
//  - `bitsearch-embedded`, beside it, which also holds the commands that need LibTorch (`run`,
//    `profiles measure`, `profiles export-spec --model`, `datasets`). `bitsearch` hands such a
//    command line, unchanged, to it (embedded_handoff.h), so users only ever type `bitsearch`.
// Both parse the same command line the same way; only the commands below differ.
// Thread-safety: main's thread only.
#ifndef BITSEARCH_CLIENT_CLI_MAIN_H_
#define BITSEARCH_CLIENT_CLI_MAIN_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "client/cli_common.h"
#include "client/profile_commands.h"

namespace bitsearch {

// The commands that need LibTorch: each binary adds its own version of them.
struct EmbeddedCommands {
  std::function<void(CLI::App& app)> add_run;                // `run`
  std::function<void(CLI::App& profiles)> add_measure;       // `profiles measure`
  ModelSignaturesFn model_signatures;                        // `profiles export-spec --model`
  std::function<void(CLI::App& app, std::shared_ptr<ConnectionFlags>)> add_datasets;  // `datasets`
};

// Parses argv and runs the chosen subcommand; returns the process exit code (the CLI contract of
// cli_common.h). `program` is the name --version prints.
int CliMain(int argc, char** argv, const std::string& program, const EmbeddedCommands& embedded);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_CLI_MAIN_H_
