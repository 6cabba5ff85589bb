// jailctl's streaming exec: a WebSocket client of GET /v1/jails/{name}/exec
// (lib/model/exec_wire.h, docs/api.md) over the UNIX socket or HTTPS, with
// the same credentials as every other request (the kernel's on the socket,
// the bearer token and certificates over HTTPS).
//
// With a TTY the caller's terminal is put in raw mode for the session (and
// restored however it ends), its size is sent at the start and on every
// SIGWINCH, and what is typed goes to the jail's terminal as it is (Ctrl-C
// is a byte there, which the jail's terminal turns into SIGINT for its
// foreground job). Without one, INT, TERM, HUP and QUIT that jailctl gets
// are passed on to the command as signal messages. Standard input is read
// only when asked; otherwise it is never touched.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "client/api_client.h"

namespace jaild::client {

struct exec_socket_options {
  nlohmann::json start;     // the first message (argv or login, env, user, cwd, tty ...)
  bool tty = false;         // start["tty"]; the local terminal goes raw when stdin is one
  bool pass_stdin = false;  // read stdin and send it; at its end, "eof"
};

// Runs the session to its end and returns the command's exit status.
// Throws unreachable (no jaild), refused (an HTTP refusal before the
// upgrade, or an "error" message), std::runtime_error (the connection broke).
int run_exec_socket(const endpoint& ep, const std::string& path, exec_socket_options options);

}  // namespace jaild::client
