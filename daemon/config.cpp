#include "daemon/config.h"

#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "lib/model/defaults.h"

namespace jaild::daemon {
namespace {

std::string where(const toml::node& node, const std::filesystem::path& file) {
  const auto& src = node.source();
  return fmt::format("{}:{}:{}", file.string(), src.begin.line, src.begin.column);
}

[[noreturn]] void bad(const toml::node& node, const std::filesystem::path& file,
                      const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", where(node, file), what));
}

void refuse_unknown(const toml::table& table, const std::set<std::string>& known,
                    const std::filesystem::path& file, const std::string& section) {
  for (const auto& [key, node] : table) {
    if (known.contains(std::string(key.str()))) continue;
    const auto& src = key.source();
    throw std::runtime_error(fmt::format("{}:{}:{}: unknown key '{}{}' (see jaild.conf(5))",
                                         file.string(), src.begin.line, src.begin.column,
                                         section, key.str()));
  }
}

std::string text(const toml::node& node, const std::filesystem::path& file) {
  if (auto v = node.value<std::string>()) return *v;
  bad(node, file, "expected a string");
}

std::int64_t number(const toml::node& node, const std::filesystem::path& file, std::int64_t lo,
                    std::int64_t hi) {
  auto v = node.value<std::int64_t>();
  if (!v) bad(node, file, "expected an integer");
  if (*v < lo || *v > hi) bad(node, file, fmt::format("must be from {} to {}", lo, hi));
  return *v;
}

void apply_file(config& c, const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    throw std::runtime_error(fmt::format("{}:{}:{}: {}", file.string(), src.begin.line,
                                         src.begin.column, e.description()));
  }
  refuse_unknown(root,
                 {"state_dir", "socket", "socket_mode", "socket_group", "log_level", "log_file",
                  "api", "engine"},
                 file, "");
  if (auto* n = root.get("state_dir")) c.state_dir = text(*n, file);
  if (auto* n = root.get("socket")) c.socket = text(*n, file);
  if (auto* n = root.get("socket_mode")) {
    // Written as a string ("0660") so that it reads as octal, as chmod(1) does.
    const auto mode = text(*n, file);
    std::size_t used = 0;
    unsigned long value = 0;
    try {
      value = std::stoul(mode, &used, 8);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != mode.size() || value > 0777)
      bad(*n, file, "socket_mode must be an octal string such as \"0660\"");
    c.socket_mode = static_cast<mode_t>(value);
  }
  if (auto* n = root.get("socket_group")) c.socket_group = text(*n, file);
  if (auto* n = root.get("log_level")) c.log_level = text(*n, file);
  if (auto* n = root.get("log_file")) c.log_file = text(*n, file);
  if (auto* n = root.get("api")) {
    auto* api = n->as_table();
    if (!api) bad(*n, file, "[api] must be a table");
    refuse_unknown(*api,
                   {"io_threads", "blocking_threads", "max_body_bytes", "max_header_bytes",
                    "max_connections", "request_timeout_s"},
                   file, "api.");
    if (auto* v = api->get("io_threads"))
      c.api.io_threads = static_cast<unsigned>(number(*v, file, 1, 64));
    if (auto* v = api->get("blocking_threads"))
      c.api.blocking_threads = static_cast<unsigned>(number(*v, file, 1, 256));
    if (auto* v = api->get("max_body_bytes"))
      c.api.max_body_bytes = static_cast<std::size_t>(number(*v, file, 1024, 1LL << 30));
    if (auto* v = api->get("max_header_bytes"))
      c.api.max_header_bytes = static_cast<std::size_t>(number(*v, file, 1024, 1 << 20));
    if (auto* v = api->get("max_connections"))
      c.api.max_connections = static_cast<unsigned>(number(*v, file, 1, 100000));
    if (auto* v = api->get("request_timeout_s"))
      c.api.request_timeout = std::chrono::seconds(number(*v, file, 1, 3600));
  }
  if (auto* n = root.get("engine")) {
    auto* eng = n->as_table();
    if (!eng) bad(*n, file, "[engine] must be a table");
    refuse_unknown(*eng,
                   {"parallel_starts", "ready_timeout_s", "crashloop_restarts",
                    "crashloop_window_s"},
                   file, "engine.");
    if (auto* v = eng->get("parallel_starts"))
      c.engine.parallel_starts = static_cast<unsigned>(number(*v, file, 1, 256));
    if (auto* v = eng->get("ready_timeout_s"))
      c.engine.ready_timeout = std::chrono::seconds(number(*v, file, 1, 86400));
    if (auto* v = eng->get("crashloop_restarts"))
      c.engine.crashloop_restarts = static_cast<unsigned>(number(*v, file, 1, 1000));
    if (auto* v = eng->get("crashloop_window_s"))
      c.engine.crashloop_window = std::chrono::seconds(number(*v, file, 1, 86400));
  }
}

}  // namespace

std::filesystem::path config::database() const {
  return state_dir / model::default_database_name;
}

config load_config(const std::optional<std::filesystem::path>& file, const overrides& flags) {
  config c;
  if (file) apply_file(c, *file);
  if (flags.state_dir) c.state_dir = *flags.state_dir;
  if (c.state_dir.empty()) {
    c.state_dir = model::default_state_dir;
    if (c.socket.empty() && !flags.socket) c.socket = model::default_socket;
  }
  if (flags.socket) c.socket = *flags.socket;
  if (flags.log_level) c.log_level = *flags.log_level;
  if (flags.log_file) c.log_file = *flags.log_file;
  // The socket follows the state directory unless it was placed explicitly.
  if (c.socket.empty()) c.socket = c.state_dir / model::default_socket_name;
  c.state_dir = std::filesystem::absolute(c.state_dir);
  c.socket = std::filesystem::absolute(c.socket);
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error"};
  if (!levels.contains(c.log_level))
    throw std::runtime_error(fmt::format(
        "log level '{}' is not one of trace, debug, info, warn, error", c.log_level));
  return c;
}

}  // namespace jaild::daemon
