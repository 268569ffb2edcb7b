#include "client/service_commands.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bitsearch/v1/jobs.grpc.pb.h"
#include "client/progress_text.h"
#include "client/report_files.h"
#include "client/result_table.h"
#include "client/service_client.h"
#include "client/service_text.h"
#include "client/sweep_commands.h"
#include "base/atomic_file.h"
#include "base/retry.h"
#include "nlohmann/json.hpp"
#include "search/report/result_view.h"

namespace bitsearch {
namespace {

namespace v1 = ::bitsearch::v1;
using Clock = std::chrono::steady_clock;

// Indented JSON; text that is not UTF-8 is replaced rather than thrown on.
std::string DumpJson(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

v1::Job GetJob(ServiceClient& client, const std::string& id) {
  v1::GetJobRequest req;
  req.set_job_id(id);
  v1::Job job;
  client.Check(client.jobs().GetJob(client.Ctx().get(), req, &job));
  return job;
}

// Writes the files a job exported into `dir`. Names come from the server; anything that is not a
// plain file name is refused rather than written outside `dir`.
absl::Status WriteExportFiles(
    const google::protobuf::RepeatedPtrField<v1::ExportedFile>& files, const std::string& dir) {
  for (const v1::ExportedFile& file : files) {
    const std::string& name = file.name();
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos) {
      return absl::DataLossError(absl::StrCat("the server sent an export file named \"", name,
                                              "\"; refusing to write it"));
    }
  }
  for (const v1::ExportedFile& file : files) {
    absl::Status st = WriteFileAtomically(dir + "/" + file.name(), file.data());
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

nlohmann::json JobJson(const v1::Job& job) {
  nlohmann::json spec = nlohmann::json::parse(job.spec_json(), nullptr, false);
  return {{"id", job.id()},
          {"name", job.name()},
          {"state", JobStateText(job.state())},
          {"phase", job.phase()},
          {"attempt", job.attempt()},
          {"worker_id", job.worker_id()},
          {"error", job.error()},
          {"created_unix_ms", job.created_unix_ms()},
          {"started_unix_ms", job.started_unix_ms()},
          {"finished_unix_ms", job.finished_unix_ms()},
          {"has_result", job.has_result()},
          {"last_sequence", job.last_sequence()},
          {"client_request_id", job.client_request_id()},
          {"spec", spec.is_discarded() ? nlohmann::json(job.spec_json()) : spec}};
}

}  // namespace

nlohmann::json FetchResult(ServiceClient& client, const std::string& id, bool include_export,
                           v1::GetResultResponse* response) {
  v1::GetResultRequest req;
  req.set_job_id(id);
  req.set_include_export(include_export);
  v1::GetResultResponse local;
  v1::GetResultResponse* resp = response != nullptr ? response : &local;
  client.Check(client.jobs().GetResult(client.Ctx().get(), req, resp));
  absl::StatusOr<nlohmann::json> j = ParseResultJson(resp->result_json());
  if (!j.ok()) Die(absl::StrCat("job ", id, ": ", j.status().message()));
  return *j;
}

namespace {

// ---- watch ---------------------------------------------------------------------------------

// A progress event as the Progress the pipeline reported.
Progress FromProto(const v1::Progress& p) {
  Progress out;
  out.phase = p.phase();
  out.epoch = p.epoch();
  out.epochs = p.epochs();
  out.step = p.step();
  out.total_steps = p.total_steps();
  out.loss = p.loss();
  out.accuracy = p.accuracy();
  out.expected_weight_bits = p.expected_weight_bits();
  out.expected_act_bits = p.expected_act_bits();
  out.relative_bops_percent = p.relative_bops_percent();
  out.resumed = p.resumed();
  return out;
}

// Prints a job's events. They come from whatever a worker reported, so every string is made
// printable and every number is rendered without assumptions (progress_text.h).
class EventPrinter {
 public:
  EventPrinter() : tty_(isatty(STDOUT_FILENO) != 0) {}
  void Print(const v1::JobEvent& e) {
    const std::string message = e.message().empty() ? "" : ": " + PrintableText(e.message(), 2000);
    const std::string phase = PrintableText(e.phase(), 40);
    switch (e.type()) {
      case v1::JobEvent::TYPE_STATE:
        Line(absl::StrCat("[", e.sequence(), "] ", JobStateText(e.state()), message));
        break;
      case v1::JobEvent::TYPE_PHASE_START:
        Line(absl::StrCat("[", e.sequence(), "] phase ", phase,
                          e.total_steps() > 0 ? absl::StrCat(" (", e.total_steps(), " steps)") : ""));
        break;
      case v1::JobEvent::TYPE_PROGRESS: {
        std::string text = "  " + ProgressLine(FromProto(e.progress()));
        if (tty_) {
          std::printf("\r%s\033[K", text.c_str());
          std::fflush(stdout);
          open_bar_ = true;
        } else {
          Line(absl::StrCat("[", e.sequence(), "]", text));
        }
        break;
      }
      case v1::JobEvent::TYPE_PHASE_END:
        Line(absl::StrFormat("[%d] phase %s done in %.1f s%s", e.sequence(), phase, e.seconds(), message));
        break;
      case v1::JobEvent::TYPE_LOG:
        Line(absl::StrCat("[", e.sequence(), "] ", PrintableText(e.message(), 2000)));
        break;
      default:
        break;
    }
  }
  void Line(const std::string& s) {
    if (open_bar_) std::printf("\n");
    open_bar_ = false;
    std::printf("%s\n", s.c_str());
    std::fflush(stdout);
  }

 private:
  bool tty_;
  bool open_bar_ = false;
};

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::UNKNOWN;
}

// Ctrl-C while watching: end the open progress line and exit 130 (the job itself goes on).
extern "C" void OnWatchInterrupt(int) {
  const char newline = '\n';
  (void)!::write(STDOUT_FILENO, &newline, 1);
  std::_Exit(kExitInterrupted);
}

// Follows the job to a terminal state, reconnecting with backoff and resuming from the last
// sequence number seen. Exits non-zero unless the job SUCCEEDED.
void Watch(ServiceClient& client, const std::string& id, double give_up_s) {
  std::signal(SIGINT, OnWatchInterrupt);
  std::signal(SIGTERM, OnWatchInterrupt);
  EventPrinter printer;
  int64_t last = 0;
  Backoff backoff({/*initial_seconds=*/0.2, /*max_seconds=*/5.0});
  Clock::time_point failing_since{};
  while (true) {
    v1::WatchJobRequest req;
    req.set_job_id(id);
    req.set_after_sequence(last);
    auto ctx = client.Ctx(0);
    auto reader = client.jobs().WatchJob(ctx.get(), req);
    v1::JobEvent e;
    while (reader->Read(&e)) {
      printer.Print(e);
      last = e.sequence();
      backoff.Reset();
      failing_since = {};
    }
    grpc::Status st = reader->Finish();
    if (st.ok()) break;
    if (!Retryable(st.error_code())) client.Check(st);
    if (failing_since == Clock::time_point{}) failing_since = Clock::now();
    if (std::chrono::duration<double>(Clock::now() - failing_since).count() > give_up_s) {
      client.Check(st);
    }
    printer.Line(absl::StrFormat("(connection lost: %s; reconnecting from event %d)",
                                 client.Describe(st), last));
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff.NextSeconds()));
  }
  v1::Job job = GetJob(client, id);
  if (job.state() != v1::JOB_STATE_SUCCEEDED) {
    Die(absl::StrCat("job ", id, " ", JobStateText(job.state()),
                     job.error().empty() ? "" : ": " + PrintableText(job.error(), 2000)));
  }
  printer.Line(absl::StrCat("job ", id, " SUCCEEDED; `bitsearch result ", id, "` shows it"));
}

}  // namespace

void AddServiceCommands(CLI::App& app, std::shared_ptr<ConnectionFlags> connection) {
  std::shared_ptr<Connection> conn = std::move(connection);
  auto add_conn = [conn](CLI::App* cmd) { AddConnectionOptions(cmd, conn); };

  struct Args {
    std::string spec_path, job, request_id, onnx_path, state, export_dir, out;
    bool watch = false, json = false, sweeps = false;
    int limit = 20;
    double give_up_s = 600;
  };
  auto a = std::make_shared<Args>();

  CLI::App* submit = app.add_subcommand("submit", "submit a job spec to the server; prints the job id");
  submit->add_option("spec", a->spec_path, "job spec JSON file")->required();
  submit->add_flag("--watch", a->watch, "follow the job until it finishes");
  submit->add_option("--request-id", a->request_id, "idempotency key: resubmitting returns the same job");
  submit->add_option("--onnx", a->onnx_path, "upload this ONNX model with the job");
  add_conn(submit);
  submit->callback([conn, a] {
    ServiceClient client(*conn);
    v1::SubmitJobRequest req;
    req.set_spec_json(ReadFileOrDie(a->spec_path, "spec"));
    req.set_client_request_id(a->request_id);
    if (!a->onnx_path.empty()) req.set_onnx_model(ReadFileOrDie(a->onnx_path, "ONNX model"));
    v1::SubmitJobResponse resp;
    grpc::Status st = client.jobs().SubmitJob(client.Ctx().get(), req, &resp);
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      Die(absl::StrCat(a->spec_path, ": ", st.error_message()), 2);
    }
    client.Check(st);
    std::printf("%s\n", resp.job().id().c_str());
    std::fflush(stdout);
    if (a->watch) Watch(client, resp.job().id(), a->give_up_s);
  });

  CLI::App* watch = app.add_subcommand("watch", "follow a job's (or sweep's) progress until it finishes");
  watch->add_option("job", a->job, "job id or sweep id")->required();
  watch->add_option("--give-up-after", a->give_up_s, "seconds of failed reconnects before giving up")
      ->capture_default_str();
  add_conn(watch);
  watch->callback([conn, a] {
    ServiceClient client(*conn);
    if (IsSweepId(a->job)) return WatchSweep(client, a->job, a->give_up_s);
    Watch(client, a->job, a->give_up_s);
  });

  CLI::App* list = app.add_subcommand("list", "list jobs, newest first");
  list->add_option("--state", a->state, "only jobs in this state (QUEUED, RUNNING, ...)");
  list->add_option("--limit", a->limit, "at most this many jobs")->capture_default_str();
  list->add_flag("--json", a->json, "print JSON");
  list->add_flag("--sweeps", a->sweeps, "list sweeps instead of jobs");
  add_conn(list);
  list->callback([conn, a] {
    ServiceClient client(*conn);
    if (a->sweeps) return ListSweeps(client, a->limit, a->json);
    v1::ListJobsRequest req;
    if (!a->state.empty()) {
      v1::JobState state;
      if (!v1::JobState_Parse("JOB_STATE_" + absl::AsciiStrToUpper(a->state), &state)) {
        Die(absl::StrCat("--state ", a->state, " is not one of QUEUED, RUNNING, SUCCEEDED, "
                         "FAILED, CANCELLED"), 2);
      }
      req.set_state(state);
    }
    std::vector<v1::Job> jobs;
    while (static_cast<int>(jobs.size()) < a->limit) {
      req.set_page_size(std::min(1000, a->limit - static_cast<int>(jobs.size())));
      v1::ListJobsResponse resp;
      client.Check(client.jobs().ListJobs(client.Ctx().get(), req, &resp));
      jobs.insert(jobs.end(), resp.jobs().begin(), resp.jobs().end());
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    if (a->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& j : jobs) out.push_back(JobJson(j));
      std::printf("%s\n", DumpJson(out).c_str());
      return;
    }
    std::printf("%-22s %-10s %-20s %-10s %3s  %s\n", "ID", "STATE", "NAME", "PHASE", "TRY", "CREATED");
    for (const auto& j : jobs) {
      std::printf("%-22s %-10s %-20s %-10s %3d  %s\n", TableCell(j.id(), 22).c_str(), JobStateText(j.state()).c_str(),
                  TableCell(j.name(), 20).c_str(), TableCell(j.phase(), 10).c_str(), j.attempt(),
                  LocalTimeText(j.created_unix_ms()).c_str());
    }
  });

  CLI::App* get = app.add_subcommand("get", "show one job or sweep");
  get->add_option("job", a->job, "job id or sweep id")->required();
  get->add_flag("--json", a->json, "print JSON (with at least id and state)");
  add_conn(get);
  get->callback([conn, a] {
    ServiceClient client(*conn);
    if (IsSweepId(a->job)) return PrintSweep(client, a->job, a->json);
    v1::Job job = GetJob(client, a->job);
    if (a->json) {
      std::printf("%s\n", DumpJson(JobJson(job)).c_str());
      return;
    }
    std::printf("id:        %s\nname:      %s\nstate:     %s\nphase:     %s\nattempt:   %d\n"
                "worker:    %s\ncreated:   %s\nstarted:   %s\nfinished:  %s\nresult:    %s\n",
                PrintableText(job.id()).c_str(), PrintableText(job.name()).c_str(),
                JobStateText(job.state()).c_str(), PrintableText(job.phase()).c_str(), job.attempt(),
                PrintableText(job.worker_id()).c_str(),
                LocalTimeText(job.created_unix_ms()).c_str(), LocalTimeText(job.started_unix_ms()).c_str(),
                LocalTimeText(job.finished_unix_ms()).c_str(), job.has_result() ? "yes" : "no");
    if (!job.error().empty()) std::printf("error:     %s\n", PrintableText(job.error(), 2000).c_str());
  });

  CLI::App* result = app.add_subcommand("result", "print a finished job's result, or write it with its report");
  result->add_option("job", a->job, "job id, or sweep id (its points with the Pareto front)")->required();
  result->add_flag("--json", a->json, "print the result JSON");
  result->add_option("--out", a->out,
                     "write the result JSON to FILE, and beside it the chart (.svg) and the HTML report (.html)");
  result->add_option("--export", a->export_dir,
                     "write the job's exported model to DIR (model.onnx, quant.json, model.pt)");
  add_conn(result);
  result->callback([conn, a] {
    ServiceClient client(*conn);
    if (IsSweepId(a->job)) {
      if (!a->export_dir.empty()) Die("--export takes a job id (each point of a sweep has its own export)", kExitUsage);
      return PrintSweepResult(client, a->job, a->json, a->out);
    }
    v1::GetResultResponse resp;
    nlohmann::json j = FetchResult(client, a->job, !a->export_dir.empty(), &resp);
    ReportContext context;
    context.source = absl::StrCat("job ", a->job, " on ", client.server());
    if (!a->export_dir.empty()) {
      absl::Status written = WriteExportFiles(resp.export_files(), a->export_dir);
      if (!written.ok()) Die(std::string(written.message()));
      std::fprintf(stderr, "exported %d files to %s\n", resp.export_files_size(), a->export_dir.c_str());
      context.export_dir = a->export_dir;
      for (const v1::ExportedFile& f : resp.export_files()) {
        context.export_files.push_back({f.name(), static_cast<int64_t>(f.data().size())});
      }
    }
    if (!a->out.empty()) {
      absl::StatusOr<ResultFiles> files = WriteResultFiles(j, a->out, context);
      if (!files.ok()) Die(absl::StrCat("job ", a->job, ": ", files.status().message()));
      std::fprintf(stderr, "result written to %s\nchart written to %s\nreport written to %s\n",
                   files->json.c_str(), files->svg.c_str(), files->html.c_str());
    }
    if (a->json) {
      std::printf("%s\n", DumpJson(j).c_str());
      return;
    }
    absl::StatusOr<ResultView> view = ReadResultView(j);
    if (!view.ok()) Die(absl::StrCat("job ", a->job, ": ", view.status().message()));
    std::fprintf(stderr, "%s", FormatProblems(*view).c_str());
    std::printf("%s", FormatResultTable(*view).c_str());
  });

  CLI::App* cancel = app.add_subcommand("cancel", "cancel a queued or running job, or every such job of a sweep");
  cancel->add_option("job", a->job, "job id or sweep id")->required();
  add_conn(cancel);
  cancel->callback([conn, a] {
    ServiceClient client(*conn);
    if (IsSweepId(a->job)) return CancelSweep(client, a->job);
    v1::CancelJobRequest req;
    req.set_job_id(a->job);
    v1::Job job;
    client.Check(client.jobs().CancelJob(client.Ctx().get(), req, &job));
    std::printf("job %s %s\n", job.id().c_str(), JobStateText(job.state()).c_str());
  });
}

}  // namespace bitsearch
