#include "server/web_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "search/report/result_view.h"
#include "server/export_blobs.h"
#include "server/web_pages.h"

namespace bitsearch::server {
namespace {

using nlohmann::json;

constexpr char kCookie[] = "bitsearch_session";
constexpr int kListed = 100;  // jobs and sweeps on the front page
// No script, no resource from elsewhere, no framing: the pages are HTML, inline CSS and SVG.
constexpr char kSecurityPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

void Headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

void Html(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "text/html; charset=utf-8");
}

int HttpStatus(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kUnauthenticated: return 401;
    default: return 500;
  }
}

void Fail(httplib::Response& res, const absl::Status& st) {
  Html(res, HttpStatus(st), ErrorPage(HttpStatus(st), std::string(st.message())));
}

// The value of cookie `name` in a Cookie header ("" when absent).
std::string CookieValue(const std::string& header, const std::string& name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) return std::string(part);
  }
  return "";
}

std::string NewSessionId() {
  std::random_device device;  // the kernel's generator: a session id is a secret
  std::string id;
  for (int i = 0; i < 4; ++i) id += absl::StrFormat("%08x", device());
  return id;
}

// The newest progress sample of a job among its last events.
std::optional<JobProgress> LatestProgress(JobManager& jobs, const JobRecord& job) {
  if (job.state != JobState::kRunning) return std::nullopt;
  constexpr int kLook = 30;
  absl::StatusOr<std::vector<JobEvent>> events =
      jobs.ReadEvents(job.id, std::max<int64_t>(0, job.last_sequence - kLook), kLook);
  if (!events.ok()) return std::nullopt;
  for (auto it = events->rbegin(); it != events->rend(); ++it) {
    if (it->progress) return it->progress;
  }
  return std::nullopt;
}

}  // namespace

std::string WebSessions::Create(const Caller& caller) {
  std::string id = NewSessionId();
  absl::MutexLock lock(&mu_);
  const int64_t now = clock_->NowMs();
  for (auto it = sessions_.begin(); it != sessions_.end();) {  // forget expired logins
    it = it->second.expires_ms <= now ? sessions_.erase(it) : std::next(it);
  }
  sessions_[id] = {caller, now + lifetime_ms_};
  return id;
}

std::optional<Caller> WebSessions::Find(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.expires_ms <= clock_->NowMs()) return std::nullopt;
  return it->second.caller;
}

void WebSessions::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(id);
}

WebServer::WebServer(JobManager* jobs, const Authenticator* auth, const Clock* clock, int64_t session_ms)
    : jobs_(jobs), auth_(auth), sessions_(clock, session_ms), http_(std::make_unique<httplib::Server>()) {}

WebServer::~WebServer() { Stop(); }

void WebServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<WebServer>> WebServer::Start(const WebOptions& options, JobManager* jobs,
                                                            const Authenticator* auth, const Clock* clock) {
  if (!auth->enabled()) {
    return absl::InvalidArgumentError(
        "--http needs --client-token-file: the web page shows jobs only to holders of a client token");
  }
  size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--http ", options.listen, ": expected HOST:PORT"));
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::unique_ptr<WebServer> web(new WebServer(jobs, auth, clock, options.session_ms));
  // SO_REUSEADDR only (cpp-httplib's default adds SO_REUSEPORT, which lets two servers share a port).
  web->http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  web->http_->set_payload_max_length(64 << 10);  // a login form, nothing bigger
  web->Routes();
  web->port_ = port == 0 ? web->http_->bind_to_any_port(host) : (web->http_->bind_to_port(host, port) ? port : -1);
  if (web->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve the web page on ", options.listen,
                                               ": address in use or invalid"));
  }
  httplib::Server* http = web->http_.get();
  web->thread_ = std::thread([http] { http->listen_after_bind(); });
  for (int i = 0; i < 5000 && !http->is_running(); ++i) {  // stop() needs a running loop
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return web;
}

void WebServer::Routes() {
  httplib::Server& http = *http_;
  // Who is asking: a bearer token (scripts) or a session cookie (browsers); nullopt = nobody, in
  // which case the response is already set (401 for a bad bearer token, a redirect to /login).
  auto caller_of = [this](const httplib::Request& req, httplib::Response& res) -> std::optional<Caller> {
    Headers(res);
    std::string authorization = req.get_header_value("Authorization");
    if (!authorization.empty()) {
      absl::string_view token(authorization);
      absl::StatusOr<Caller> caller = absl::ConsumePrefix(&token, "Bearer ")
                                          ? auth_->AuthenticateClientToken(std::string(token))
                                          : absl::UnauthenticatedError("authorization is not 'Bearer TOKEN'");
      if (caller.ok()) return *caller;
      res.set_header("WWW-Authenticate", "Bearer");
      res.status = caller.status().code() == absl::StatusCode::kPermissionDenied ? 403 : 401;
      res.set_content(absl::StrCat(caller.status().message(), "\n"), "text/plain; charset=utf-8");
      return std::nullopt;
    }
    std::string session = CookieValue(req.get_header_value("Cookie"), kCookie);
    if (!session.empty()) {
      if (std::optional<Caller> caller = sessions_.Find(session)) return caller;
    }
    // Back to this page once logged in (the path only; SafeNextPath checks it on the way back).
    std::string next;
    for (char c : req.path) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' || c == '.') {
        next += c;
      } else {
        absl::StrAppendFormat(&next, "%%%02X", static_cast<unsigned char>(c));
      }
    }
    res.set_redirect(next == "/" ? "/login" : absl::StrCat("/login?next=", next), 303);
    res.set_content("log in first\n", "text/plain; charset=utf-8");
    return std::nullopt;
  };

  http.Get("/login", [](const httplib::Request& req, httplib::Response& res) {
    Headers(res);
    Html(res, 200, LoginPage("", SafeNextPath(req.get_param_value("next"))));
  });
  http.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
    Headers(res);
    absl::StatusOr<Caller> caller = auth_->AuthenticateClientToken(req.get_param_value("token"));
    if (!caller.ok()) {
      Html(res, 401, LoginPage("That token is not a client token of this server.",
                               SafeNextPath(req.get_param_value("next"))));
      return;
    }
    res.set_header("Set-Cookie", absl::StrCat(kCookie, "=", sessions_.Create(*caller),
                                              "; Path=/; HttpOnly; SameSite=Lax"));
    res.set_redirect(SafeNextPath(req.get_param_value("next")), 303);
  });
  http.Post("/logout", [this](const httplib::Request& req, httplib::Response& res) {
    Headers(res);
    sessions_.Remove(CookieValue(req.get_header_value("Cookie"), kCookie));
    res.set_header("Set-Cookie", absl::StrCat(kCookie, "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
    res.set_redirect("/login", 303);
  });

  http.Get("/", [this, caller_of](const httplib::Request& req, httplib::Response& res) {
    std::optional<Caller> caller = caller_of(req, res);
    if (!caller) return;
    absl::StatusOr<JobListing> jobs = jobs_->ListJobs(*caller, std::nullopt, "", kListed);
    if (!jobs.ok()) return Fail(res, jobs.status());
    absl::StatusOr<SweepListing> sweeps = jobs_->ListSweeps(*caller, "", kListed);
    if (!sweeps.ok()) return Fail(res, sweeps.status());
    std::vector<JobLine> lines;
    for (JobRecord& j : jobs->items) {
      std::optional<JobProgress> p = LatestProgress(*jobs_, j);
      lines.push_back({std::move(j), std::move(p)});
    }
    Html(res, 200, IndexPage(lines, sweeps->items));
  });

  http.Get(R"(/jobs/([A-Za-z0-9_-]+))", [this, caller_of](const httplib::Request& req, httplib::Response& res) {
    std::optional<Caller> caller = caller_of(req, res);
    if (!caller) return;
    absl::StatusOr<JobRecord> job = jobs_->GetJob(*caller, req.matches[1]);
    if (!job.ok()) return Fail(res, job.status());
    json result;
    std::vector<std::pair<std::string, int64_t>> files;
    if (job->has_result) {
      absl::StatusOr<JobResult> r = jobs_->GetResult(*caller, job->id, /*include_export=*/true);
      if (!r.ok() && absl::IsNotFound(r.status())) r = jobs_->GetResult(*caller, job->id, false);
      if (!r.ok()) return Fail(res, r.status());
      absl::StatusOr<json> parsed = ParseResultJson(r->result_json);
      if (parsed.ok()) result = std::move(*parsed);
      for (const ExportedFile& f : r->export_files) files.emplace_back(f.name, f.data.size());
    }
    std::optional<JobProgress> progress = LatestProgress(*jobs_, *job);
    Html(res, 200, JobPage({*job, progress}, result, files));
  });

  http.Get(R"(/jobs/([A-Za-z0-9_-]+)/result\.json)", [this, caller_of](const httplib::Request& req,
                                                                      httplib::Response& res) {
    std::optional<Caller> caller = caller_of(req, res);
    if (!caller) return;
    absl::StatusOr<JobResult> r = jobs_->GetResult(*caller, req.matches[1], false);
    if (!r.ok()) return Fail(res, r.status());
    res.set_content(r->result_json, "application/json");
  });

  http.Get(R"(/jobs/([A-Za-z0-9_-]+)/export/([A-Za-z0-9_.-]+))", [this, caller_of](const httplib::Request& req,
                                                                                  httplib::Response& res) {
    std::optional<Caller> caller = caller_of(req, res);
    if (!caller) return;
    absl::StatusOr<JobResult> r = jobs_->GetResult(*caller, req.matches[1], /*include_export=*/true);
    if (!r.ok()) return Fail(res, r.status());
    for (ExportedFile& f : r->export_files) {
      if (f.name != req.matches[2]) continue;
      res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"", f.name, "\""));
      res.set_content(std::move(f.data), "application/octet-stream");
      return;
    }
    Fail(res, absl::NotFoundError(absl::StrCat("job ", std::string(req.matches[1]), " exported no file named ",
                                               std::string(req.matches[2]))));
  });

  http.Get(R"(/sweeps/([A-Za-z0-9_-]+))", [this, caller_of](const httplib::Request& req, httplib::Response& res) {
    std::optional<Caller> caller = caller_of(req, res);
    if (!caller) return;
    absl::StatusOr<SweepInfo> sweep = jobs_->GetSweep(*caller, req.matches[1]);
    if (!sweep.ok()) return Fail(res, sweep.status());
    std::map<std::string, JobProgress> progress;
    for (const auto* jobs : {&sweep->pretrain_jobs, &sweep->points}) {
      for (const JobRecord& j : *jobs) {
        if (std::optional<JobProgress> p = LatestProgress(*jobs_, j)) progress[j.id] = *p;
      }
    }
    json result;
    absl::StatusOr<std::string> text = jobs_->GetSweepResult(*caller, sweep->sweep.id);
    if (text.ok()) {
      absl::StatusOr<json> parsed = ParseResultJson(*text);
      if (parsed.ok()) result = std::move(*parsed);
    } else if (!absl::IsFailedPrecondition(text.status())) {
      return Fail(res, text.status());
    }
    Html(res, 200, SweepPage(*sweep, progress, result));
  });

  http.Get(R"(/sweeps/([A-Za-z0-9_-]+)/result\.json)", [this, caller_of](const httplib::Request& req,
                                                                        httplib::Response& res) {
    std::optional<Caller> caller = caller_of(req, res);
    if (!caller) return;
    absl::StatusOr<std::string> text = jobs_->GetSweepResult(*caller, req.matches[1]);
    if (!text.ok()) return Fail(res, text.status());
    res.set_content(*text, "application/json");
  });

  // Anything else: the login page for a stranger, "not found" for a caller.
  http.set_error_handler([caller_of](const httplib::Request& req, httplib::Response& res) {
    if (res.status != 404 || !res.body.empty()) return;
    std::optional<Caller> caller = caller_of(req, res);
    if (!caller) return;
    Html(res, 404, ErrorPage(404, absl::StrCat("nothing at ", req.path)));
  });
}

}  // namespace bitsearch::server
