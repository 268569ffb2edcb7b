// `bitsearch run`: a job embedded in this process (no server).
#ifndef BITSEARCH_CLIENT_RUN_COMMAND_H_
#define BITSEARCH_CLIENT_RUN_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bitsearch {

void AddRunCommands(CLI::App& app);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_RUN_COMMAND_H_
