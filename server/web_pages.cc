#include "server/web_pages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "search/report/html_report.h"
#include "search/report/result_view.h"
#include "search/report/svg_writer.h"
#include "search/report/sweep_report.h"
#include "search/report/sweep_result.h"

namespace bitsearch::server {
namespace {

using nlohmann::json;

std::string H(const std::string& s) { return XmlEscape(s); }

constexpr char kPageStyle[] = R"(
nav { border-bottom: 1px solid #ccc; padding-bottom: 6px; margin-bottom: 12px; }
nav form { display: inline; margin-left: 16px; }
.state-SUCCEEDED { color: #1e8449; } .state-FAILED { color: #b03a2e; } .state-CANCELLED { color: #7f8c8d; }
.state-RUNNING { color: #2471a3; font-weight: bold; }
progress { width: 120px; }
.error { color: #b03a2e; }
)";

// A whole page: the report style plus ours, a navigation bar with the log-out form, the body.
// `refresh` > 0 reloads the page every that many seconds (live state without a script).
std::string Page(const std::string& title, const std::string& body, int refresh = 0, bool nav = true) {
  std::string head = refresh > 0 ? absl::StrCat("<meta http-equiv=\"refresh\" content=\"", refresh, "\">\n") : "";
  std::string bar = nav ? "<nav><a href=\"/\">Jobs and sweeps</a><form method=\"post\" action=\"/logout\">"
                          "<button type=\"submit\">Log out</button></form></nav>\n"
                        : "";
  return absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", head,
                      "<title>", H(title), "</title>\n<style>", ReportStyle(), kPageStyle,
                      "</style>\n</head>\n<body>\n", bar, body, "</body>\n</html>\n");
}

std::string Time(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

std::string State(JobState state) {
  return absl::StrCat("<span class=\"state-", JobStateName(state), "\">", JobStateName(state), "</span>");
}

std::string JobLink(const JobRecord& job, const std::string& text) {
  return absl::StrCat("<a", Attr("href", "/jobs/" + job.id), ">", H(text), "</a>");
}

// "search epoch 1/2, step 120/422" with a progress bar, or the phase alone.
std::string ProgressCell(const JobRecord& job, const std::optional<JobProgress>& p) {
  if (job.state != JobState::kRunning) return H(job.phase);
  if (!p || p->total_steps <= 0) return H(job.phase);
  return absl::StrFormat("<progress value=\"%d\" max=\"%d\"></progress> %s epoch %d/%d, step %d/%d",
                         std::min(p->step, p->total_steps), p->total_steps, H(p->phase), p->epoch, p->epochs,
                         p->step, p->total_steps);
}

std::string Row(std::initializer_list<std::string> cells, bool header = false) {
  std::string out = "<tr>";
  for (const std::string& c : cells) absl::StrAppend(&out, header ? "<th>" : "<td>", c, header ? "</th>" : "</td>");
  return out + "</tr>\n";
}

bool AnyRunning(const std::vector<JobLine>& jobs) {
  for (const JobLine& j : jobs) {
    if (!IsTerminal(j.job.state)) return true;
  }
  return false;
}

}  // namespace

std::string SafeNextPath(const std::string& path) {
  if (path.size() < 1 || path.size() > 512 || path[0] != '/') return "/";
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return "/";  // another host
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e || c == '\\') {
      return "/";
    }
  }
  return path;
}

std::string LoginPage(const std::string& message, const std::string& next) {
  std::string body =
      "<h1>bitsearch</h1>\n<p>This server's jobs and sweeps are shown to holders of a client token.</p>\n";
  if (!message.empty()) absl::StrAppend(&body, "<p class=\"error\" id=\"login-error\">", H(message), "</p>\n");
  body += "<form method=\"post\" action=\"/login\" id=\"login\">\n<label>Client token <input type=\"password\" "
          "name=\"token\" autocomplete=\"current-password\" required></label>\n"
          "<input type=\"hidden\" name=\"next\"" + Attr("value", next) + ">\n<button type=\"submit\">Log in"
          "</button>\n</form>\n<p>Scripts send the token as <code>Authorization: Bearer TOKEN</code>.</p>\n";
  return Page("bitsearch: log in", body, 0, /*nav=*/false);
}

std::string IndexPage(const std::vector<JobLine>& jobs, const std::vector<SweepInfo>& sweeps) {
  std::string body = "<h1>bitsearch</h1>\n<h2>Sweeps</h2>\n";
  bool live = AnyRunning(jobs);
  if (sweeps.empty()) {
    body += "<p>No sweeps.</p>\n";
  } else {
    body += "<table id=\"sweeps\">\n" + Row({"sweep", "name", "state", "points done", "created"}, true);
    for (const SweepInfo& s : sweeps) {
      live = live || !IsTerminal(s.state);
      int done = 0;
      for (const JobRecord& p : s.points) done += IsTerminal(p.state);
      body += Row({absl::StrCat("<a", Attr("href", "/sweeps/" + s.sweep.id), ">", H(s.sweep.id), "</a>"),
                   H(s.sweep.name), State(s.state), absl::StrCat(done, " / ", s.points.size()),
                   Time(s.sweep.created_ms)});
    }
    body += "</table>\n";
  }
  body += "<h2>Jobs</h2>\n";
  if (jobs.empty()) {
    body += "<p>No jobs.</p>\n";
  } else {
    body += "<table id=\"jobs\">\n" + Row({"job", "name", "state", "progress", "sweep", "created"}, true);
    for (const JobLine& j : jobs) {
      std::string sweep = j.job.sweep_id.empty()
                              ? ""
                              : absl::StrCat("<a", Attr("href", "/sweeps/" + j.job.sweep_id), ">",
                                             H(j.job.kind == JobKind::kPretrain ? "pretraining" : "point"), "</a>");
      body += Row({JobLink(j.job, j.job.id), H(j.job.name), State(j.job.state), ProgressCell(j.job, j.progress),
                   sweep, Time(j.job.created_ms)});
    }
    body += "</table>\n";
  }
  return Page("bitsearch: jobs and sweeps", body, live ? 5 : 0);
}

std::string JobPage(const JobLine& line, const json& result,
                    const std::vector<std::pair<std::string, int64_t>>& export_files) {
  const JobRecord& job = line.job;
  std::string body = absl::StrCat("<h1>Job ", H(job.name), "</h1>\n<table id=\"job\">\n");
  body += Row({"id", H(job.id)});
  body += Row({"state", State(job.state)});
  body += Row({"kind", job.kind == JobKind::kPretrain ? "a sweep's float pretraining" : "search"});
  if (!job.sweep_id.empty()) {
    body += Row({"sweep", absl::StrCat("<a", Attr("href", "/sweeps/" + job.sweep_id), ">", H(job.sweep_id), "</a>")});
  }
  if (!job.settings_json.empty()) body += Row({"settings", H(job.settings_json)});
  body += Row({"progress", ProgressCell(job, line.progress)});
  body += Row({"attempt", absl::StrCat(job.attempt)});
  body += Row({"worker", H(job.lease_owner)});
  body += Row({"created", Time(job.created_ms)});
  body += Row({"started", Time(job.started_ms)});
  body += Row({"finished", Time(job.finished_ms)});
  if (!job.error.empty()) body += Row({"error", absl::StrCat("<span class=\"error\">", H(job.error), "</span>")});
  body += "</table>\n";
  if (job.has_result) {
    body += absl::StrCat("<p><a", Attr("href", "/jobs/" + job.id + "/result.json"), ">result JSON</a></p>\n");
  }
  absl::StatusOr<ResultView> view = result.is_object() ? ReadResultView(result)
                                                        : absl::StatusOr<ResultView>(absl::NotFoundError(""));
  if (view.ok()) {
    ReportContext context;
    context.source = absl::StrCat("job ", job.id);
    for (const auto& [name, bytes] : export_files) context.export_files.push_back({name, bytes});
    context.export_link_prefix = absl::StrCat("/jobs/", job.id, "/export/");
    body += "<section id=\"report\">\n" + RenderReportBody(*view, context) + "</section>\n";
  } else {
    json spec = json::parse(job.spec_json, nullptr, /*allow_exceptions=*/false);
    body += absl::StrCat("<h2>Spec</h2>\n<pre id=\"spec\">",
                         H(spec.is_discarded() ? job.spec_json
                                               : spec.dump(2, ' ', false, json::error_handler_t::replace)),
                         "</pre>\n");
  }
  return Page(absl::StrCat("bitsearch: job ", job.name), body, IsTerminal(job.state) ? 0 : 5);
}

std::string SweepPage(const SweepInfo& s, const std::map<std::string, JobProgress>& progress, const json& result) {
  std::string body = absl::StrCat("<h1>Sweep ", H(s.sweep.name), "</h1>\n<table id=\"sweep\">\n");
  body += Row({"id", H(s.sweep.id)});
  body += Row({"state", State(s.state)});
  body += Row({"created", Time(s.sweep.created_ms)});
  body += Row({"finished", Time(s.finished_ms)});
  if (!s.error.empty()) body += Row({"error", absl::StrCat("<span class=\"error\">", H(s.error), "</span>")});
  body += absl::StrCat("</table>\n<h2>Jobs</h2>\n<table id=\"sweep-jobs\">\n",
                       Row({"job", "name", "settings", "state", "progress"}, true));
  for (const auto* jobs : {&s.pretrain_jobs, &s.points}) {
    for (const JobRecord& j : *jobs) {
      auto p = progress.find(j.id);
      std::optional<JobProgress> sample = p == progress.end() ? std::nullopt : std::optional<JobProgress>(p->second);
      std::string state = State(j.state);
      if (!j.error.empty()) absl::StrAppend(&state, " <span class=\"error\">", H(j.error), "</span>");
      body += Row({JobLink(j, j.id), H(j.name), j.kind == JobKind::kPretrain ? "float pretraining" : H(j.settings_json),
                   state, ProgressCell(j, sample)});
    }
  }
  body += "</table>\n";
  absl::StatusOr<SweepView> view = result.is_object() ? ReadSweepView(result)
                                                      : absl::StatusOr<SweepView>(absl::NotFoundError(""));
  if (view.ok()) {
    SweepReportContext context;
    context.source = absl::StrCat("sweep ", s.sweep.id);
    for (const JobRecord& j : s.points) context.point_links[j.name] = "/jobs/" + j.id;
    body += absl::StrCat("<p><a", Attr("href", "/sweeps/" + s.sweep.id + "/result.json"), ">sweep result JSON</a></p>\n",
                         "<section id=\"report\">\n", RenderSweepBody(*view, context), "</section>\n");
  } else {
    body += "<p>No point has a result yet; the Pareto plot appears with the first.</p>\n";
  }
  return Page(absl::StrCat("bitsearch: sweep ", s.sweep.name), body, IsTerminal(s.state) ? 0 : 5);
}

std::string ErrorPage(int status, const std::string& message) {
  return Page(absl::StrCat("bitsearch: ", status),
              absl::StrCat("<h1>", status, "</h1>\n<p class=\"error\">", H(message), "</p>\n"));
}

}  // namespace bitsearch::server
