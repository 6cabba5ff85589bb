// Where jaild keeps its state when nothing else is configured. Shared by the
// daemon and jailctl so that both find the same socket without any flag.
#pragma once

namespace jaild::model {

// With no --state-dir, no --socket and no configuration file, jaild and jailctl
// meet at default_socket: /var/run on FreeBSD (hier(7)), the state directory
// on Linux. A state directory given explicitly brings its own STATE/jaild.sock.
#if defined(__FreeBSD__)
inline constexpr const char* default_state_dir = "/var/db/jaild";
inline constexpr const char* default_socket = "/var/run/jaild.sock";
#else
inline constexpr const char* default_state_dir = "/var/lib/jaild";
inline constexpr const char* default_socket = "/var/lib/jaild/jaild.sock";
#endif
inline constexpr const char* default_socket_name = "jaild.sock";
inline constexpr const char* default_database_name = "jaild.db";

// Largest request body the API accepts unless configured otherwise.
inline constexpr unsigned long default_max_body_bytes = 1024 * 1024;

}  // namespace jaild::model
