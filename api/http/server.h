// The HTTP/1.1 server: listeners on a UNIX socket and on HTTPS (OpenSSL,
// TLS 1.2 at least, 1.3 when the client has it) that read requests with hard
// bounds, hand them to api::service and write its answers, keep-alive and
// Server-Sent Events included. Both transports share one session loop; TLS
// adds a handshake with its own deadline. Each listener has its own
// connection budget, so HTTPS clients can never crowd out the UNIX socket.
// Boost.Beast is confined to server.cpp (and exec_socket.h, the streaming
// exec's WebSocket, which only server.cpp includes); nothing else in jaild
// includes it.
//
// Threads: `io_threads` run every socket; `blocking_threads` run the handlers
// and engine calls that may block. stop() is safe to call from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "api/service.h"

namespace jaild::api::http {

struct server_options {
  unsigned io_threads = 2;
  unsigned blocking_threads = 16;
  unsigned long_threads = 32;  // long requests (exec, synchronous lifecycle): api::service_options::long_requests
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;   // request line + headers
  unsigned max_connections = 1024;          // per listener
  unsigned admin_connections = 16;          // of a UNIX socket's max_connections, kept for admins
  unsigned max_connections_per_uid = 64;    // a UNIX socket uid that is not admin; 0 = no limit
  // A request must arrive whole within this time (slow-loris bound); an idle
  // keep-alive connection is closed after it as well.
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds write_timeout{60};
  std::size_t max_target_bytes = 8 * 1024;    // longer request targets get 414
  // Where an uploaded archive (POST /v1/jails/import-archive) is written
  // while it arrives; "" = uploads refused. Files are removed once answered.
  std::filesystem::path upload_dir;
  std::uint64_t max_upload_bytes = 256ull << 30;
};

struct unix_listen_options {
  std::filesystem::path path;
  mode_t mode = 0660;
  std::optional<gid_t> group;  // chgrp the socket (the operator group, say)
};

struct https_listen_options {
  std::string address = "127.0.0.1";  // an IP address: "0.0.0.0", "::1"
  std::uint16_t port = 8443;          // 0 picks a free port (see https_port())
  std::filesystem::path cert;         // PEM: the certificate, then its chain
  std::filesystem::path key;          // PEM private key
  std::filesystem::path client_ca;    // PEM CA bundle; "" = no client certificates
  // A TLS handshake must finish within this, or the connection is closed.
  std::chrono::seconds handshake_timeout{10};
};

class server {
 public:
  explicit server(server_options options);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Runs a task on the blocking pool; give it to api::service.
  service::executor blocking_executor();
  // Runs a long request on threads of its own; give it to api::service too.
  service::executor long_executor();

  // Binds the UNIX socket. A live socket of another process is never taken
  // over: connect() is tried first, and only a stale file is replaced.
  // Throws jaild::error (unavailable) with the reason.
  void listen_unix(const unix_listen_options& options);

  // Loads the certificate and key, and binds the TCP port. Throws
  // jaild::error (unavailable) with the reason.
  void listen_https(const https_listen_options& options);
  // The port the HTTPS listener is bound to (0 when there is none).
  std::uint16_t https_port() const;

  // Starts serving on every listener with `svc`.
  void start(service& svc);

  // Stops accepting, closes connections, joins every thread, removes the socket file.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace jaild::api::http
