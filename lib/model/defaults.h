// Where jaild keeps its state when nothing else is configured. Shared by the
// daemon and jailctl so that both find the same socket without any flag.
#pragma once

namespace jaild::model {

#if defined(__FreeBSD__)
inline constexpr const char* default_state_dir = "/var/db/jaild";
#else
inline constexpr const char* default_state_dir = "/var/lib/jaild";
#endif
// The socket lives in the state directory unless the configuration moves it.
inline constexpr const char* default_socket_name = "jaild.sock";
inline constexpr const char* default_database_name = "jaild.db";

// Largest request body the API accepts unless configured otherwise.
inline constexpr unsigned long default_max_body_bytes = 1024 * 1024;

}  // namespace jaild::model
