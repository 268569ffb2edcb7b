#include "client/sweep_commands.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/retry.h"
#include "bitsearch/v1/jobs.grpc.pb.h"
#include "client/report_files.h"
#include "client/result_table.h"
#include "client/service_text.h"
#include "search/report/result_view.h"
#include "search/report/sweep_result.h"

namespace bitsearch {
namespace {

namespace v1 = ::bitsearch::v1;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

v1::Sweep FetchSweep(ServiceClient& client, const std::string& id, grpc::Status* status = nullptr) {
  v1::GetSweepRequest req;
  req.set_sweep_id(id);
  v1::Sweep sweep;
  grpc::Status st = client.jobs().GetSweep(client.Ctx().get(), req, &sweep);
  if (status != nullptr) {
    *status = st;
  } else {
    client.Check(st);
  }
  return sweep;
}

json JobSummary(const v1::Job& j) {
  json settings = json::parse(j.settings_json(), nullptr, false);
  return {{"id", j.id()}, {"name", j.name()}, {"state", JobStateText(j.state())}, {"phase", j.phase()},
          {"error", j.error()}, {"depends_on", j.depends_on()},
          {"settings", settings.is_discarded() ? json::object() : settings}};
}

json SweepJson(const v1::Sweep& s) {
  json spec = json::parse(s.spec_json(), nullptr, false);
  json points = json::array(), pretrain = json::array();
  for (const v1::Job& j : s.points()) points.push_back(JobSummary(j));
  for (const v1::Job& j : s.pretrain_jobs()) pretrain.push_back(JobSummary(j));
  return {{"id", s.id()}, {"name", s.name()}, {"state", JobStateText(s.state())}, {"error", s.error()},
          {"created_unix_ms", s.created_unix_ms()}, {"finished_unix_ms", s.finished_unix_ms()},
          {"cancel_requested", s.cancel_requested()}, {"client_request_id", s.client_request_id()},
          {"points", points}, {"pretrain_jobs", pretrain},
          {"spec", spec.is_discarded() ? json(s.spec_json()) : spec}};
}

void PrintJobRow(const v1::Job& j, const std::string& settings) {
  std::printf("  %-22s %-10s %-10s %-26s %s\n", TableCell(j.id(), 22).c_str(), JobStateText(j.state()).c_str(),
              TableCell(j.phase(), 10).c_str(), TableCell(j.name(), 26).c_str(), TableCell(settings, 40).c_str());
  if (!j.error().empty()) std::printf("      error: %s\n", PrintableText(j.error(), 400).c_str());
}

}  // namespace

bool IsSweepId(const std::string& id) { return absl::StartsWith(id, "sweep-"); }

SweepPlan LoadSweepPlanOrDie(const std::string& spec_path, const std::vector<std::string>& sets) {
  std::vector<SweepAxis> overrides;
  for (const std::string& s : sets) {
    absl::StatusOr<SweepAxis> axis = ParseSetOption(s);
    if (!axis.ok()) Die(std::string(axis.status().message()), kExitUsage);
    overrides.push_back(std::move(*axis));
  }
  absl::StatusOr<SweepPlan> plan = ExpandSweepText(ReadFileOrDie(spec_path, "spec"), overrides);
  if (!plan.ok()) Die(absl::StrCat(spec_path, ": ", plan.status().message()), kExitUsage);
  return std::move(*plan);
}

void AddSweepCommand(CLI::App& app, std::shared_ptr<ConnectionFlags> connection) {
  struct Args {
    std::string spec_path, request_id;
    std::vector<std::string> sets;
    bool watch = false;
    double give_up_s = 600;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "submit a sweep: one job per value of the swept fields; prints the sweep id");
  cmd->add_option("spec", a->spec_path, "job spec JSON file (its \"sweep\" block and --set give the values)")
      ->required();
  cmd->add_option("--set", a->sets,
                  "FIELD=V1,V2,...: sweep a spec field over these values (repeatable; several fields "
                  "give their product; replaces the spec's own sweep of FIELD)");
  cmd->add_flag("--watch", a->watch, "follow the sweep until every point finished");
  cmd->add_option("--request-id", a->request_id, "idempotency key: resubmitting returns the same sweep");
  AddConnectionOptions(cmd, connection);
  cmd->callback([connection, a] {
    SweepPlan plan = LoadSweepPlanOrDie(a->spec_path, a->sets);
    if (plan.axes.empty()) {
      Die(absl::StrCat(a->spec_path, ": nothing to sweep: give --set FIELD=V1,V2 or a \"sweep\" block "
                                     "(`bitsearch submit` runs one job)"),
          kExitUsage);
    }
    ServiceClient client(*connection);
    v1::SubmitSweepRequest req;
    req.set_spec_json(SweepSpecJson(plan).dump());
    req.set_client_request_id(a->request_id);
    v1::SubmitSweepResponse resp;
    grpc::Status st = client.jobs().SubmitSweep(client.Ctx().get(), req, &resp);
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      Die(absl::StrCat(a->spec_path, ": ", st.error_message()), kExitUsage);
    }
    client.Check(st);
    std::printf("%s\n", resp.sweep().id().c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "sweep %s: %d points%s\n", resp.sweep().id().c_str(), resp.sweep().points_size(),
                 resp.sweep().pretrain_jobs_size() > 0
                     ? absl::StrCat(", sharing ", resp.sweep().pretrain_jobs_size(), " float pretraining",
                                    resp.sweep().pretrain_jobs_size() > 1 ? "s" : "")
                           .c_str()
                     : "");
    if (a->watch) WatchSweep(client, resp.sweep().id(), a->give_up_s);
  });
}

void PrintSweep(ServiceClient& client, const std::string& id, bool as_json) {
  v1::Sweep s = FetchSweep(client, id);
  if (as_json) {
    std::printf("%s\n", SweepJson(s).dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return;
  }
  std::printf("id:        %s\nname:      %s\nstate:     %s\ncreated:   %s\nfinished:  %s\n",
              PrintableText(s.id()).c_str(), PrintableText(s.name()).c_str(), JobStateText(s.state()).c_str(),
              LocalTimeText(s.created_unix_ms()).c_str(), LocalTimeText(s.finished_unix_ms()).c_str());
  if (!s.error().empty()) std::printf("error:     %s\n", PrintableText(s.error(), 2000).c_str());
  if (s.pretrain_jobs_size() > 0) std::printf("pretraining (shared by the points that wait for it):\n");
  for (const v1::Job& j : s.pretrain_jobs()) PrintJobRow(j, "");
  std::printf("points:\n");
  for (const v1::Job& j : s.points()) PrintJobRow(j, j.settings_json());
}

void WatchSweep(ServiceClient& client, const std::string& id, double give_up_s) {
  // Polls GetSweep and prints every change of a job's state or phase; a lost connection is
  // retried with backoff for `give_up_s` (the sweep goes on without us).
  std::map<std::string, std::string> seen;
  Backoff backoff({/*initial_seconds=*/0.5, /*max_seconds=*/5.0});
  Clock::time_point failing_since{};
  while (true) {
    grpc::Status st;
    v1::Sweep s = FetchSweep(client, id, &st);
    if (!st.ok()) {
      const auto code = st.error_code();
      if (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::DEADLINE_EXCEEDED) client.Check(st);
      if (failing_since == Clock::time_point{}) failing_since = Clock::now();
      if (std::chrono::duration<double>(Clock::now() - failing_since).count() > give_up_s) client.Check(st);
      std::this_thread::sleep_for(std::chrono::duration<double>(backoff.NextSeconds()));
      continue;
    }
    failing_since = {};
    backoff.Reset();
    for (const auto* jobs : {&s.pretrain_jobs(), &s.points()}) {
      for (const v1::Job& j : *jobs) {
        std::string now = absl::StrCat(JobStateText(j.state()), j.state() == v1::JOB_STATE_RUNNING ? " " + j.phase() : "");
        if (seen[j.id()] == now) continue;
        seen[j.id()] = now;
        std::string time = absl::FormatTime("%H:%M:%S", absl::Now(), absl::LocalTimeZone());
        std::printf("[%s] %-26s %s%s\n", time.c_str(), TableCell(j.name(), 26).c_str(), PrintableText(now, 60).c_str(),
                    j.error().empty() ? "" : (": " + PrintableText(j.error(), 400)).c_str());
      }
    }
    std::fflush(stdout);
    if (s.state() == v1::JOB_STATE_SUCCEEDED) {
      std::printf("sweep %s SUCCEEDED; `bitsearch result %s` shows its points and Pareto front\n", id.c_str(),
                  id.c_str());
      return;
    }
    if (s.state() == v1::JOB_STATE_FAILED || s.state() == v1::JOB_STATE_CANCELLED) {
      Die(absl::StrCat("sweep ", id, " ", JobStateText(s.state()),
                       s.error().empty() ? "" : ": " + PrintableText(s.error(), 2000)));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void PrintSweepResult(ServiceClient& client, const std::string& id, bool as_json, const std::string& out) {
  v1::GetSweepResultRequest req;
  req.set_sweep_id(id);
  v1::GetSweepResultResponse resp;
  client.Check(client.jobs().GetSweepResult(client.Ctx().get(), req, &resp));
  absl::StatusOr<json> j = ParseResultJson(resp.result_json());
  if (!j.ok()) Die(absl::StrCat("sweep ", id, ": ", j.status().message()));
  if (!out.empty()) {
    SweepReportContext context;
    context.source = absl::StrCat("sweep ", id, " on ", client.server());
    absl::StatusOr<ResultFiles> files = WriteSweepFiles(*j, out, context);
    if (!files.ok()) Die(absl::StrCat("sweep ", id, ": ", files.status().message()));
    std::fprintf(stderr, "sweep result written to %s\nchart written to %s\nreport written to %s\n",
                 files->json.c_str(), files->svg.c_str(), files->html.c_str());
  }
  if (as_json) {
    std::printf("%s\n", j->dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return;
  }
  absl::StatusOr<SweepView> view = ReadSweepView(*j);
  if (!view.ok()) Die(absl::StrCat("sweep ", id, ": ", view.status().message()));
  for (const std::string& p : view->problems) std::fprintf(stderr, "warning: sweep result field %s\n", p.c_str());
  std::printf("%s", FormatSweepTable(*view).c_str());
}

void CancelSweep(ServiceClient& client, const std::string& id) {
  v1::CancelSweepRequest req;
  req.set_sweep_id(id);
  v1::Sweep s;
  client.Check(client.jobs().CancelSweep(client.Ctx().get(), req, &s));
  int cancelled = 0;
  for (const auto* jobs : {&s.pretrain_jobs(), &s.points()}) {
    for (const v1::Job& j : *jobs) cancelled += j.state() == v1::JOB_STATE_CANCELLED;
  }
  std::printf("sweep %s %s (%d jobs cancelled)\n", s.id().c_str(), JobStateText(s.state()).c_str(), cancelled);
}

void ListSweeps(ServiceClient& client, int limit, bool as_json) {
  std::vector<v1::Sweep> sweeps;
  v1::ListSweepsRequest req;
  while (static_cast<int>(sweeps.size()) < limit) {
    req.set_page_size(std::min(1000, limit - static_cast<int>(sweeps.size())));
    v1::ListSweepsResponse resp;
    client.Check(client.jobs().ListSweeps(client.Ctx().get(), req, &resp));
    sweeps.insert(sweeps.end(), resp.sweeps().begin(), resp.sweeps().end());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  if (as_json) {
    json out = json::array();
    for (const v1::Sweep& s : sweeps) out.push_back(SweepJson(s));
    std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return;
  }
  std::printf("%-24s %-10s %-24s %-8s %s\n", "ID", "STATE", "NAME", "DONE", "CREATED");
  for (const v1::Sweep& s : sweeps) {
    int done = 0;
    for (const v1::Job& j : s.points()) done += j.state() == v1::JOB_STATE_SUCCEEDED;
    std::printf("%-24s %-10s %-24s %-8s %s\n", TableCell(s.id(), 24).c_str(), JobStateText(s.state()).c_str(),
                TableCell(s.name(), 24).c_str(), absl::StrCat(done, "/", s.points_size()).c_str(),
                LocalTimeText(s.created_unix_ms()).c_str());
  }
}

std::vector<std::pair<std::string, json>> FetchSweepPointResults(ServiceClient& client, const std::string& id) {
  v1::Sweep s = FetchSweep(client, id);
  std::vector<std::pair<std::string, json>> out;
  for (const v1::Job& j : s.points()) {
    if (j.state() != v1::JOB_STATE_SUCCEEDED) continue;
    v1::GetResultRequest req;
    req.set_job_id(j.id());
    v1::GetResultResponse resp;
    client.Check(client.jobs().GetResult(client.Ctx().get(), req, &resp));
    absl::StatusOr<json> r = ParseResultJson(resp.result_json());
    if (!r.ok()) Die(absl::StrCat("job ", j.id(), ": ", r.status().message()));
    out.emplace_back(j.name(), std::move(*r));
  }
  if (out.empty()) Die(absl::StrCat("sweep ", id, " has no succeeded point yet"));
  return out;
}

}  // namespace bitsearch
