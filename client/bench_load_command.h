// `bitsearch bench-load`: a load generator for the server. N client threads, each with its own
// channel, do submit+get pairs; it prints throughput and p50/p99/max latency per RPC (figures in
// docs/RESULTS.md, "Service load"). Failures print one line on stderr and exit 1.
// Thread-safety: run from main's thread; starts and joins its own threads.
#ifndef BITSEARCH_CLIENT_BENCH_LOAD_COMMAND_H_
#define BITSEARCH_CLIENT_BENCH_LOAD_COMMAND_H_

#include <CLI/CLI.hpp>

#include <memory>

#include "client/cli_common.h"

namespace bitsearch {

void AddBenchLoadCommand(CLI::App& app, std::shared_ptr<ConnectionFlags> connection);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_BENCH_LOAD_COMMAND_H_
