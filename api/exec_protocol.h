// What the exec routes read: the command of a buffered exec (POST
// .../exec) and of a streaming one (the first message of GET .../exec, a
// WebSocket), and the streaming exec's control messages; lib/model/
// exec_wire.h has the framing. Pure functions: every bad message throws
// jaild::error with the field at fault, before anything runs.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lib/host/host.h"
#include "lib/model/json_reader.h"

namespace jaild::api {

// argv (when `argv_required`), env, user and cwd, as both execs take them.
struct exec_command {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string user, cwd;
};
exec_command read_exec_command(model::json_reader& r, bool argv_required);

// The first message of a streaming exec: {"argv":[...],"env":{},"user":"",
// "cwd":"","tty":false,"rows":24,"cols":80} or {"login":true,"tty":true,...}.
host::exec_stream_request parse_exec_start(std::string_view text);

// A later text message of the client.
struct exec_control {
  enum class kind { resize, signal, eof, input };
  kind what = kind::eof;
  unsigned rows = 0, cols = 0;  // resize
  int signal = 0;               // signal
  std::string data;             // input
};
exec_control parse_exec_control(std::string_view text);

// jaild's text messages.
std::string exec_started_message(bool tty);
std::string exec_exit_message(int exit_code);
std::string exec_error_message(const nlohmann::json& problem);

}  // namespace jaild::api
