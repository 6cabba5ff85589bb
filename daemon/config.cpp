#include "daemon/config.h"

#include <set>
#include <stdexcept>
#include <tuple>

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

std::vector<std::string> texts(const toml::node& node, const std::filesystem::path& file) {
  auto* array = node.as_array();
  if (!array) bad(node, file, "expected a list of strings, such as [\"wheel\"]");
  std::vector<std::string> out;
  for (const auto& item : *array) out.push_back(text(item, file));
  return out;
}

void apply_https(config& c, const toml::node& n, const std::filesystem::path& file) {
  auto* https = n.as_table();
  if (!https) bad(n, file, "[https] must be a table");
  refuse_unknown(*https, {"listen", "cert", "key", "client_ca", "handshake_timeout_s"}, file,
                 "https.");
  if (auto* v = https->get("listen")) {
    const auto value = text(*v, file);
    if (value.empty()) {
      c.https.address.clear();
    } else {
      try {
        std::tie(c.https.address, c.https.port) = parse_listen(value);
      } catch (const std::runtime_error& e) {
        bad(*v, file, e.what());
      }
    }
  }
  if (auto* v = https->get("cert")) c.https.cert = text(*v, file);
  if (auto* v = https->get("key")) c.https.key = text(*v, file);
  if (auto* v = https->get("client_ca")) c.https.client_ca = text(*v, file);
  if (auto* v = https->get("handshake_timeout_s"))
    c.https.handshake_timeout = std::chrono::seconds(number(*v, file, 1, 300));
}

void apply_auth(config& c, const toml::node& n, const std::filesystem::path& file) {
  auto* auth = n.as_table();
  if (!auth) bad(n, file, "[auth] must be a table");
  refuse_unknown(*auth,
                 {"admin_groups", "operator_groups", "viewer_groups", "admin_cert_names",
                  "operator_cert_names", "viewer_cert_names", "audit_log"},
                 file, "auth.");
  if (auto* v = auth->get("admin_groups")) c.auth.admin_groups = texts(*v, file);
  if (auto* v = auth->get("operator_groups")) c.auth.operator_groups = texts(*v, file);
  if (auto* v = auth->get("viewer_groups")) c.auth.viewer_groups = texts(*v, file);
  if (auto* v = auth->get("admin_cert_names")) c.auth.admin_cert_names = texts(*v, file);
  if (auto* v = auth->get("operator_cert_names")) c.auth.operator_cert_names = texts(*v, file);
  if (auto* v = auth->get("viewer_cert_names")) c.auth.viewer_cert_names = texts(*v, file);
  if (auto* v = auth->get("audit_log")) c.auth.audit_log = text(*v, file);
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
                  "api", "https", "auth", "engine", "logs", "events", "provision"},
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
                    "max_connections", "admin_connections", "max_connections_per_uid",
                    "long_requests", "admin_long_requests", "long_requests_per_caller",
                    "exec_output_bytes", "exec_sessions", "exec_sessions_per_caller",
                    "request_timeout_s", "max_target_bytes"},
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
    if (auto* v = api->get("admin_connections")) {
      c.api.admin_connections = static_cast<unsigned>(number(*v, file, 0, 100000));
      if (c.api.admin_connections >= c.api.max_connections)
        bad(*v, file, "admin_connections must be below max_connections");
    } else if (c.api.admin_connections >= c.api.max_connections)
      c.api.admin_connections = c.api.max_connections / 4;  // a small max_connections, alone
    if (auto* v = api->get("max_connections_per_uid"))
      c.api.max_connections_per_uid = static_cast<unsigned>(number(*v, file, 0, 100000));
    if (auto* v = api->get("long_requests"))
      c.api.long_requests = static_cast<unsigned>(number(*v, file, 1, 1024));
    if (auto* v = api->get("admin_long_requests")) {
      c.api.admin_long_requests = static_cast<unsigned>(number(*v, file, 0, 1024));
      if (c.api.admin_long_requests >= c.api.long_requests)
        bad(*v, file, "admin_long_requests must be below long_requests");
    } else if (c.api.admin_long_requests >= c.api.long_requests) {
      c.api.admin_long_requests = c.api.long_requests / 4;
    }
    if (auto* v = api->get("long_requests_per_caller"))
      c.api.long_requests_per_caller = static_cast<unsigned>(number(*v, file, 0, 1024));
    if (auto* v = api->get("exec_output_bytes"))
      c.api.exec_output_bytes = static_cast<std::size_t>(number(*v, file, 1024, 1LL << 30));
    if (auto* v = api->get("exec_sessions"))
      c.api.exec_sessions = static_cast<unsigned>(number(*v, file, 1, 100000));
    if (auto* v = api->get("exec_sessions_per_caller"))
      c.api.exec_sessions_per_caller = static_cast<unsigned>(number(*v, file, 0, 100000));
    if (auto* v = api->get("request_timeout_s"))
      c.api.request_timeout = std::chrono::seconds(number(*v, file, 1, 3600));
    if (auto* v = api->get("max_target_bytes"))
      c.api.max_target_bytes = static_cast<std::size_t>(number(*v, file, 256, 1 << 20));
  }
  if (auto* n = root.get("https")) apply_https(c, *n, file);
  if (auto* n = root.get("auth")) apply_auth(c, *n, file);
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
  if (auto* n = root.get("logs")) {
    auto* logs = n->as_table();
    if (!logs) bad(*n, file, "[logs] must be a table");
    refuse_unknown(*logs, {"console_max_bytes", "console_keep"}, file, "logs.");
    if (auto* v = logs->get("console_max_bytes"))
      c.logs.console_max_bytes = static_cast<std::uint64_t>(number(*v, file, 4096, 1LL << 40));
    if (auto* v = logs->get("console_keep"))
      c.logs.console_keep = static_cast<unsigned>(number(*v, file, 0, 100));
  }
  if (auto* n = root.get("provision")) {
    auto* prov = n->as_table();
    if (!prov) bad(*n, file, "[provision] must be a table");
    refuse_unknown(*prov, {"releases_dir", "jails_dir"}, file, "provision.");
    if (auto* v = prov->get("releases_dir")) c.provision.releases_dir = text(*v, file);
    if (auto* v = prov->get("jails_dir")) c.provision.jails_dir = text(*v, file);
  }
  if (auto* n = root.get("events")) {
    auto* events = n->as_table();
    if (!events) bad(*n, file, "[events] must be a table");
    refuse_unknown(*events, {"keep", "max_age_days"}, file, "events.");
    if (auto* v = events->get("keep"))
      c.events.keep = static_cast<std::size_t>(number(*v, file, 1, 1LL << 40));
    if (auto* v = events->get("max_age_days"))
      c.events.max_age = std::chrono::hours(24 * number(*v, file, 0, 36500));
  }
}

}  // namespace

std::pair<std::string, std::uint16_t> parse_listen(const std::string& text) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::runtime_error(
          fmt::format("'{}' is not HOST:PORT (an IPv6 address reads [::1]:8443)", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon)
      throw std::runtime_error(fmt::format(
          "'{}' is not HOST:PORT, such as 127.0.0.1:8443 or [::1]:8443", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty())
    throw std::runtime_error(fmt::format("'{}' names no address (0.0.0.0 means every IPv4 "
                                         "address)",
                                         text));
  unsigned long value = 0;
  std::size_t used = 0;
  try {
    value = std::stoul(port, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (port.empty() || used != port.size() || value > 65535)
    throw std::runtime_error(fmt::format("'{}' has no port from 0 to 65535", text));
  return {host, static_cast<std::uint16_t>(value)};
}

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
  if (flags.listen) std::tie(c.https.address, c.https.port) = parse_listen(*flags.listen);
  // The socket follows the state directory unless it was placed explicitly.
  if (c.socket.empty()) c.socket = c.state_dir / model::default_socket_name;
  if (c.auth.audit_log.empty()) c.auth.audit_log = c.state_dir / "audit.log";
  if (c.provision.releases_dir.empty()) c.provision.releases_dir = c.state_dir / "releases";
  if (c.provision.jails_dir.empty()) c.provision.jails_dir = c.state_dir / "jails";
  c.provision.releases_dir = std::filesystem::absolute(c.provision.releases_dir);
  c.provision.jails_dir = std::filesystem::absolute(c.provision.jails_dir);
  c.state_dir = std::filesystem::absolute(c.state_dir);
  c.socket = std::filesystem::absolute(c.socket);
  c.auth.audit_log = std::filesystem::absolute(c.auth.audit_log);
  if (c.https.enabled() && (c.https.cert.empty() || c.https.key.empty()))
    throw std::runtime_error(fmt::format(
        "HTTPS on {}:{} needs a certificate and a key: set [https] cert and key", c.https.address,
        c.https.port));
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error"};
  if (!levels.contains(c.log_level))
    throw std::runtime_error(fmt::format(
        "log level '{}' is not one of trace, debug, info, warn, error", c.log_level));
  return c;
}

}  // namespace jaild::daemon
