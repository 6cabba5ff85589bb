// What GET /v1/jails/{name}/exec answers once the caller may have it (status
// 101): the HTTP server completes the WebSocket handshake and runs the
// session (api/http/exec_socket.h) with this. Transport-free.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lib/host/exec_session.h"

namespace jaild::api {

struct exec_upgrade {
  std::string jail;
  // Runs on the blocking pool with the client's first message: parses it
  // (api/exec_protocol.h), starts the command and says whether it has a
  // TTY. Throws jaild::error, which the client gets as an "error" message.
  std::function<std::unique_ptr<host::exec_session>(std::string_view first_message, bool& tty)>
      open;
  // The caller's place among the streaming sessions, held for the session's life.
  std::shared_ptr<void> hold;
};

}  // namespace jaild::api
