// The HTTP/1.1 server: listeners on a UNIX socket (and HTTPS, issue 7) that
// read requests with hard bounds, hand them to api::service and write its
// answers, keep-alive and Server-Sent Events included. Boost.Beast is confined
// to server.cpp; nothing else in jaild includes it.
//
// Threads: `io_threads` run every socket; `blocking_threads` run the handlers
// and engine calls that may block. stop() is safe to call from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "api/service.h"

namespace jaild::api::http {

struct server_options {
  unsigned io_threads = 2;
  unsigned blocking_threads = 16;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;   // request line + headers
  unsigned max_connections = 1024;
  // A request must arrive whole within this time (slow-loris bound); an idle
  // keep-alive connection is closed after it as well.
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds write_timeout{60};
};

struct unix_listen_options {
  std::filesystem::path path;
  mode_t mode = 0660;
  std::optional<gid_t> group;  // chgrp the socket (the operator group, say)
};

class server {
 public:
  explicit server(server_options options);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Runs a task on the blocking pool; give it to api::service.
  service::executor blocking_executor();

  // Binds the UNIX socket. A live socket of another process is never taken
  // over: connect() is tried first, and only a stale file is replaced.
  // Throws jaild::error (unavailable) with the reason.
  void listen_unix(const unix_listen_options& options);

  // Starts serving on every listener with `svc`.
  void start(service& svc);

  // Stops accepting, closes connections, joins every thread, removes the socket file.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace jaild::api::http
