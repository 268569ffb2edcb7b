// `bitsearch compare JOB_OR_RESULT... [--json]`: results side by side (compare_table.h). Each
// argument is a result JSON file (an existing path, or one with '/' or ending in ".json") or a
// job id whose result comes from the server (--server / BITSEARCH_SERVER, as for `result`).
// Thread-safety: run from main's thread.
#ifndef BITSEARCH_CLIENT_COMPARE_COMMAND_H_
#define BITSEARCH_CLIENT_COMPARE_COMMAND_H_

#include <CLI/CLI.hpp>

#include <memory>

#include "client/cli_common.h"

namespace bitsearch {

void AddCompareCommand(CLI::App& app, std::shared_ptr<ConnectionFlags> connection);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_COMPARE_COMMAND_H_
