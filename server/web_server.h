// The server's read-only web page (`bitsearch-server --http HOST:PORT`), served by cpp-httplib
// from the JobManager: jobs and sweeps with their live state, job and sweep pages, result JSON and
// export downloads (web_pages.h renders them).
//
// No token, no data: every path but /login answers only a caller with a client token, sent as
// `Authorization: Bearer TOKEN` (scripts) or proved once through the login form, which sets a
// session cookie (HttpOnly, SameSite=Lax: a link to a job page from elsewhere opens logged in, while
// no other site can post to the server with it; the token itself never goes into the cookie).
// Browsers without a session are sent to /login; a bad bearer token gets 401. Every response
// carries a Content-Security-Policy that allows no script and nothing from elsewhere.
//
// Thread-safety: cpp-httplib serves requests on a thread pool; sessions are mutex-guarded, the
// JobManager is thread-safe. Stop() (or the destructor) ends serving.
#ifndef BITSEARCH_SERVER_WEB_SERVER_H_
#define BITSEARCH_SERVER_WEB_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "server/auth.h"
#include "server/caller.h"
#include "server/job_manager.h"

namespace httplib {
class Server;
}

namespace bitsearch::server {

struct WebOptions {
  std::string listen;                    // HOST:PORT; port 0 picks a free port
  int64_t session_ms = 12 * 3600 * 1000;  // a login lasts this long
};

// Logins that the login form created, by session id (a random secret in the cookie).
class WebSessions {
 public:
  explicit WebSessions(const Clock* clock, int64_t lifetime_ms) : clock_(clock), lifetime_ms_(lifetime_ms) {}
  // A new session for `caller`; returns its id.
  std::string Create(const Caller& caller);
  // The caller of a live session; nullopt for an unknown or expired id.
  std::optional<Caller> Find(const std::string& id);
  void Remove(const std::string& id);

 private:
  struct Session {
    Caller caller;
    int64_t expires_ms;
  };
  const Clock* clock_;
  const int64_t lifetime_ms_;
  absl::Mutex mu_;
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

class WebServer {
 public:
  // Binds and starts serving; UNAVAILABLE naming the address when it cannot bind. `jobs`, `auth`
  // and `clock` must outlive the server; `auth` must have tokens (no token, no data).
  static absl::StatusOr<std::unique_ptr<WebServer>> Start(const WebOptions& options, JobManager* jobs,
                                                          const Authenticator* auth, const Clock* clock);
  ~WebServer();

  int port() const { return port_; }
  // Stops accepting and waits for the serving thread. Idempotent.
  void Stop();

 private:
  WebServer(JobManager* jobs, const Authenticator* auth, const Clock* clock, int64_t session_ms);
  void Routes();

  JobManager* jobs_;
  const Authenticator* auth_;
  WebSessions sessions_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_WEB_SERVER_H_
