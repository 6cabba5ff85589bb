// jaild's configuration: embedded defaults, then the file given by --config
// (TOML, jaild.conf(5)), then command-line flags. Every key has a documented
// default here and in docs/configuration.md; an unknown key is an error, so a
// typo never silently does nothing.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jaild::daemon {

struct api_config {
  unsigned io_threads = 2;              // threads serving sockets
  unsigned blocking_threads = 32;       // threads running handlers that block (a synchronous start holds one)
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  unsigned max_connections = 1024;      // per listener
  unsigned admin_connections = 16;      // of the socket's max_connections, kept for admins
  unsigned max_connections_per_uid = 64;  // a socket uid that is not admin (0: no limit)
  unsigned long_requests = 32;          // exec and synchronous lifecycle requests at once ...
  unsigned admin_long_requests = 4;     // ... of which the last ones only admins get
  unsigned long_requests_per_caller = 8;  // ... and one caller that is not admin this many
  std::size_t exec_output_bytes = 1024 * 1024;  // POST .../exec keeps this much of stdout and of stderr
  unsigned exec_sessions = 256;         // streaming execs (WebSockets) at once ...
  unsigned exec_sessions_per_caller = 64;  // ... and one caller that is not admin this many
  std::chrono::seconds request_timeout{30};
  std::size_t max_target_bytes = 8 * 1024;
};

// [https]: the TCP listener. Off unless `listen` (or --listen) names an address.
struct https_config {
  std::string address;                  // IP address; "" = no HTTPS
  std::uint16_t port = 8443;
  std::filesystem::path cert;           // PEM certificate (and chain)
  std::filesystem::path key;            // PEM private key
  std::filesystem::path client_ca;      // PEM CA bundle for client certificates; "" = none
  std::chrono::seconds handshake_timeout{10};
  bool enabled() const { return !address.empty(); }
};

// [auth]: who gets which role, and where changes are recorded.
struct auth_config {
  // UNIX socket peers: group names (primary or supplementary group of the caller).
  std::vector<std::string> admin_groups, operator_groups, viewer_groups;
  // HTTPS clients: subject CNs of verified client certificates.
  std::vector<std::string> admin_cert_names, operator_cert_names, viewer_cert_names;
  std::filesystem::path audit_log;      // default: STATE_DIR/audit.log
};

struct engine_config {
  unsigned parallel_starts = 8;          // jails starting at once
  std::chrono::seconds ready_timeout{60};  // a dependency must be ready within this
  unsigned crashloop_restarts = 5;       // more restarts than this ...
  std::chrono::seconds crashloop_window{60};  // ... within this = crashloop
};

// [logs]: the jails' console logs (exec.consolelog), rotated by size.
struct logs_config {
  std::uint64_t console_max_bytes = std::uint64_t{10} << 20;  // then copied to NAME.1 and emptied
  unsigned console_keep = 3;                                 // NAME.1 .. NAME.3
};

// [events]: how many stored events are kept for GET /v1/events to replay.
struct events_config {
  std::size_t keep = 100'000;               // the newest this many ...
  std::chrono::hours max_age{24 * 30};      // ... and none older than this (0: no age limit)
};

// [provision]: where releases and the roots jaild makes live (issue 16).
struct provision_config {
  std::filesystem::path releases_dir;   // default: STATE_DIR/releases
  std::filesystem::path jails_dir;      // default: STATE_DIR/jails (JAILS_DIR/NAME)
};

struct config {
  std::filesystem::path state_dir;      // database, socket and runtime files
  std::filesystem::path socket;         // default: STATE_DIR/jaild.sock
  mode_t socket_mode = 0660;
  std::string socket_group;             // group of the socket ("" = root's)
  std::string log_level = "info";       // trace, debug, info, warn, error
  std::filesystem::path log_file;       // "" = standard error
  api_config api;
  https_config https;
  auth_config auth;
  engine_config engine;
  logs_config logs;
  events_config events;
  provision_config provision;

  std::filesystem::path database() const;
};

// Command-line values that override the file; unset ones leave it alone.
struct overrides {
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::filesystem::path> socket;
  std::optional<std::string> log_level;
  std::optional<std::filesystem::path> log_file;
  std::optional<std::string> listen;  // HOST:PORT for HTTPS
};

// "127.0.0.1:8443", "[::1]:8443" or "0.0.0.0:8443" to address and port.
// Throws std::runtime_error with the reason.
std::pair<std::string, std::uint16_t> parse_listen(const std::string& text);

// Builds the configuration. Throws std::runtime_error with FILE:LINE when
// the file is unreadable, malformed or has an unknown key or a bad value.
config load_config(const std::optional<std::filesystem::path>& file, const overrides& flags);

}  // namespace jaild::daemon
