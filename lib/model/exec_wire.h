// The streaming exec's WebSocket messages (GET /v1/jails/{name}/exec),
// shared by jaild and jailctl; docs/api.md describes them for other clients.
//
// Binary messages carry a stream: the first byte says which (stdin from the
// client; stdout and stderr from jaild; with a TTY everything comes as
// stdout), the rest is the bytes. Text messages are JSON objects with a
// "type": the client's first message is the command ("type" optional:
// "start"), then "resize", "signal", "eof" and "stdin" (text input, for
// clients that send no binary); jaild answers "started", then "exit" (the
// exit status) or "error" (a problem+json object), and closes.
#pragma once

#include <cstdint>

namespace jaild::model::exec_wire {

inline constexpr unsigned char stdin_channel = 0;
inline constexpr unsigned char stdout_channel = 1;
inline constexpr unsigned char stderr_channel = 2;

// Close codes. 1000: the command ended (after the "exit" message); 1001:
// jaild is stopping. 4000 + an HTTP status: the session was refused or
// failed ("error" message first), e.g. 4400 a bad first message, 4404 no
// such jail, 4409 the jail does not run, 4500 the command could not start.
inline constexpr std::uint16_t close_exited = 1000;
inline constexpr std::uint16_t close_going_away = 1001;
inline constexpr std::uint16_t close_problem_base = 4000;

}  // namespace jaild::model::exec_wire
