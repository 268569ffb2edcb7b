// `bitsearch models list` and `bitsearch methods list`: what a spec can name, read from the one
// catalog that spec validation uses (search/catalog.h).
#ifndef BITSEARCH_CLIENT_CATALOG_COMMANDS_H_
#define BITSEARCH_CLIENT_CATALOG_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace bitsearch {

void AddCatalogCommands(CLI::App& app);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_CATALOG_COMMANDS_H_
