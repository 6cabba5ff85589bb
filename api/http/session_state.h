// What the server's sessions share (server.cpp, exec_socket.h): the
// connections stop() closes and the server's state. Included only by the
// Beast translation unit.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>

#include "api/budget.h"
#include "api/http/server.h"
#include "api/service.h"

namespace jaild::api::http {

// A connection that stop() can close.
struct closable {
  virtual ~closable() = default;
  // Closes it on its own strand (while the I/O threads run).
  virtual void close() = 0;
  // Closes it from the calling thread: only once no thread runs the I/O.
  virtual void close_now() = 0;
};

// What every session needs from the server.
struct shared_state {
  service* svc = nullptr;
  server_options options;
  std::chrono::seconds handshake_timeout{10};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::set<std::shared_ptr<closable>> sessions;  // for stop(): close what is open
  service::executor run_blocking;                 // the blocking pool (set by start())
};

// A connection's place in its listener's budget, taken at accept and given
// back when the session ends.
using slot_counter = std::shared_ptr<budget::slot>;

}  // namespace jaild::api::http
