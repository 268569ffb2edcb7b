// `bitsearch datasets upload PATH --name NAME` and `bitsearch datasets list`: data sets uploaded
// to the service (proto bitsearch/v1/datasets.proto), for specs that say {"ref": NAME}.
#ifndef BITSEARCH_CLIENT_DATASET_COMMANDS_H_
#define BITSEARCH_CLIENT_DATASET_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <memory>

#include "client/cli_common.h"

namespace bitsearch {

// `connection` holds the global connection flags (main.cc), shared with the subcommands' own.
void AddDatasetCommands(CLI::App& app, std::shared_ptr<ConnectionFlags> connection);

// `datasets`' one-line help, also shown for it by the LibTorch-free `bitsearch` (cli_main.h).
inline constexpr char kDatasetsCommandHelp[] =
    "data sets uploaded to the server (specs refer to them as {\"ref\": NAME})";

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_DATASET_COMMANDS_H_
