// jaild's configuration: embedded defaults, then the file given by --config
// (TOML, jaild.conf(5)), then command-line flags. Every key has a documented
// default here and in docs/configuration.md; an unknown key is an error, so a
// typo never silently does nothing.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace jaild::daemon {

struct api_config {
  unsigned io_threads = 2;              // threads serving sockets
  unsigned blocking_threads = 32;       // threads running handlers that block (a synchronous start holds one)
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  unsigned max_connections = 1024;
  std::chrono::seconds request_timeout{30};
};

struct engine_config {
  unsigned parallel_starts = 8;          // jails starting at once
  std::chrono::seconds ready_timeout{60};  // a dependency must be ready within this
  unsigned crashloop_restarts = 5;       // more restarts than this ...
  std::chrono::seconds crashloop_window{60};  // ... within this = crashloop
};

struct config {
  std::filesystem::path state_dir;      // database, socket and runtime files
  std::filesystem::path socket;         // default: STATE_DIR/jaild.sock
  mode_t socket_mode = 0660;
  std::string socket_group;             // group of the socket ("" = root's)
  std::string log_level = "info";       // trace, debug, info, warn, error
  std::filesystem::path log_file;       // "" = standard error
  api_config api;
  engine_config engine;

  std::filesystem::path database() const;
};

// Command-line values that override the file; unset ones leave it alone.
struct overrides {
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::filesystem::path> socket;
  std::optional<std::string> log_level;
  std::optional<std::filesystem::path> log_file;
};

// Builds the configuration. Throws std::runtime_error with FILE:LINE when
// the file is unreadable, malformed or has an unknown key or a bad value.
config load_config(const std::optional<std::filesystem::path>& file, const overrides& flags);

}  // namespace jaild::daemon
