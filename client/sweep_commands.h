// Sweeps on a bitsearch server: `bitsearch sweep SPEC.json --set FIELD=V1,V2 [--watch]` submits
// one, and get, watch, result, cancel and list work on a sweep id ("sweep-...") as they do on a
// job id (service_commands.cc dispatches here). The spec's "sweep" block and the --set options
// are merged and validated here first (search/sweep.h), so a bad field or value is refused
// before anything is sent.
//
// Failures print "bitsearch: <reason>" and throw CLI::RuntimeError like every server command.
// Thread-safety: run from main's thread.
#ifndef BITSEARCH_CLIENT_SWEEP_COMMANDS_H_
#define BITSEARCH_CLIENT_SWEEP_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "client/cli_common.h"
#include "client/service_client.h"
#include "nlohmann/json.hpp"
#include "search/sweep.h"

namespace bitsearch {

// Sweep ids start with "sweep-", job ids with "job-".
bool IsSweepId(const std::string& id);

// The plan of a spec file and --set options; dies with kExitUsage naming the field and value.
SweepPlan LoadSweepPlanOrDie(const std::string& spec_path, const std::vector<std::string>& sets);

void AddSweepCommand(CLI::App& app, std::shared_ptr<ConnectionFlags> connection);

// The sweep counterparts of get, watch, result, cancel and list.
void PrintSweep(ServiceClient& client, const std::string& id, bool json);
void WatchSweep(ServiceClient& client, const std::string& id, double give_up_s);
void PrintSweepResult(ServiceClient& client, const std::string& id, bool json, const std::string& out);
void CancelSweep(ServiceClient& client, const std::string& id);
void ListSweeps(ServiceClient& client, int limit, bool json);

// The results of a sweep's succeeded points, by point name (`compare SWEEP`).
std::vector<std::pair<std::string, nlohmann::json>> FetchSweepPointResults(ServiceClient& client,
                                                                           const std::string& id);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_SWEEP_COMMANDS_H_
