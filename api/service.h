// The API as a whole: the route table, the shared request pipeline (route,
// access, body, errors), and the handlers' shared state. Transport-free: the
// HTTP servers in api/http/ hand it requests and write what it answers.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/audit.h"
#include "api/auth.h"
#include "api/budget.h"
#include "api/encoding.h"
#include "api/event_feed.h"
#include "api/log_follow.h"
#include "api/request.h"
#include "api/router.h"
#include "lib/engine/engine.h"

namespace jaild::api {

struct service_options {
  std::size_t max_body_bytes = 1024 * 1024;
  std::string state_dir;   // reported by /v1/info
  auth_options auth;
  std::filesystem::path audit_log;  // JSON lines; "" = no audit log (tests)
  feed_limits events;               // GET /v1/events: pages, queues, keepalives
  // Long requests (run_on::long_work) at once: in all, of which the last
  // `admin_long_requests` only admins get, and per caller that is not admin.
  unsigned long_requests = 32;
  unsigned admin_long_requests = 4;
  unsigned long_requests_per_caller = 8;
  // POST /v1/jails/{name}/exec keeps this much of stdout and of stderr each;
  // the answer says how much more was cut ([api] exec_output_bytes).
  std::size_t exec_output_bytes = 1024 * 1024;
  // Streaming execs (WebSockets) at once: in all, of which the last
  // sixteenth only admins get, and per caller that is not admin. They hold
  // no thread; each holds a connection, a process and a few descriptors.
  unsigned exec_sessions = 256;
  unsigned exec_sessions_per_caller = 64;
};

class service {
 public:
  // `run_blocking` runs a task on the blocking pool (never an I/O thread).
  using executor = std::function<void(std::function<void()>)>;

  // `run_long` runs long requests (run_on::long_work) on threads that
  // nothing else uses, at least `long_requests` of them; none: run_blocking.
  service(engine::engine& engine, service_options options, executor run_blocking,
          executor run_long = nullptr);

  // Answers `req`; calls `done` exactly once, on any thread. Identifies the
  // caller (401), routes (404, 405), checks the route's role (403), runs the
  // handler, and for every method but GET and HEAD writes the audit log
  // before `done` is called.
  void dispatch(request req, std::function<void(response)> done);

  // Whether a UNIX socket peer is admin (root, jaild's uid, an admin group):
  // the server keeps connection slots for them.
  bool holds_admin(const peer& p) const;
  // Whether dispatch would let this caller's upload (its headers, no body
  // yet) reach its handler: identified, the route found, the role held.
  bool may_upload(const request& req) const;

  const router& routes() const { return router_; }
  const service_options& options() const { return options_; }
  authenticator& auth() { return *auth_; }
  // After the audit log was rotated (SIGHUP).
  void reopen_audit_log();

 private:
  response handle(const route& r, request& req);
  response long_refusal(const budget::answer& got, const principal& who,
                        const request& req) const;
  void add_system_routes();
  void add_jail_routes();
  void add_lifecycle_routes();
  void add_event_routes();
  void add_network_routes();
  void add_release_routes();   // handlers/releases.cpp
  void add_template_routes();  // handlers/templates.cpp
  void add_snapshot_routes();  // handlers/snapshots.cpp
  void add_archive_routes();   // handlers/archives.cpp
  void add_metrics_routes();
  void add_token_routes();
  void add_jailconf_routes();  // handlers/jailconf.cpp
  void add_ui_routes();        // handlers/ui.cpp

  engine::engine& engine_;
  service_options options_;
  executor run_blocking_;
  executor run_long_;
  std::shared_ptr<budget> long_budget_;
  std::shared_ptr<budget> stream_budget_;  // streaming execs
  router router_;
  encoder encoder_;
  std::chrono::steady_clock::time_point started_;
  std::shared_ptr<feed_hub> feeds_;  // live Server-Sent Event streams
  std::shared_ptr<log_watch> logs_ = std::make_shared<log_watch>();  // followed console logs
  std::shared_ptr<class request_metrics> metrics_;
  std::unique_ptr<authenticator> auth_;
  std::unique_ptr<audit_log> audit_;
};

// Helpers shared by the handler files.
std::string name_param(const request& req);
response entry_response(unsigned status, const engine::jail_entry& entry);
// The deepest nesting of objects and arrays a JSON body may have.
inline constexpr int max_json_depth = 32;
nlohmann::json parse_json_body(const request& req);
response json_response(unsigned status, const nlohmann::json& body);
response text_response(unsigned status, std::string content_type, std::string body);

}  // namespace jaild::api
