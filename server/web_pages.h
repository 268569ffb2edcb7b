// The HTML of the server's read-only web page (web_server.h serves it): the login form, the list
// of jobs and sweeps with their live state and progress, a job page (state, progress, the result
// report with per-layer bits, latency, pruning and accuracy, links to the exported files) and a
// sweep page (its points and the Pareto plot). Server-rendered HTML and inline SVG from
// search/report; no script, nothing fetched from elsewhere. Every string that comes from a user
// or a worker (job names, specs, errors, phases) is escaped here.
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_SERVER_WEB_PAGES_H_
#define BITSEARCH_SERVER_WEB_PAGES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "server/job_manager.h"
#include "server/job_records.h"

namespace bitsearch::server {

// A job as the pages show it: the record and its newest progress sample, if any.
struct JobLine {
  JobRecord job;
  std::optional<JobProgress> progress;
};

// The login form; `message` (escaped) says why the last attempt failed, "" = none; `next` is the
// page to return to once logged in (a local path, SafeNextPath).
std::string LoginPage(const std::string& message, const std::string& next);

// `path` when it is a path on this server ("/sweeps/sweep-1"), else "/": the login form never
// sends a browser elsewhere ("//evil.example", "http://...", "/\\evil").
std::string SafeNextPath(const std::string& path);

// Jobs (newest first) and sweeps; refreshes itself while anything runs.
std::string IndexPage(const std::vector<JobLine>& jobs, const std::vector<SweepInfo>& sweeps);

// One job; `result` is its result JSON (null while it has none), `export_files` the names and sizes
// of its exported files (each linked for download).
std::string JobPage(const JobLine& job, const nlohmann::json& result,
                    const std::vector<std::pair<std::string, int64_t>>& export_files);

// One sweep with its jobs' progress (by job id); `result` is its result JSON (null while no point
// has one).
std::string SweepPage(const SweepInfo& sweep, const std::map<std::string, JobProgress>& progress,
                      const nlohmann::json& result);

// A page for an error a person may see (not found, refused); `message` is escaped.
std::string ErrorPage(int status, const std::string& message);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_WEB_PAGES_H_
