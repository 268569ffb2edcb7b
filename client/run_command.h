// `bitsearch run`: a job embedded in this process (no server).
#ifndef BITSEARCH_CLIENT_RUN_COMMAND_H_
#define BITSEARCH_CLIENT_RUN_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bitsearch {

// `run`'s one-line help, also shown for it by the LibTorch-free `bitsearch` (cli_main.h).
inline constexpr char kRunCommandHelp[] = "Run a job embedded in this process (no server)";

void AddRunCommands(CLI::App& app);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_RUN_COMMAND_H_
