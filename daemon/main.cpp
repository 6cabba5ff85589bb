// jaild: the jail supervisor daemon. Runs in the foreground (rc.d and systemd
// supervise it), logs to standard error or a file, and stops cleanly on
// SIGTERM or SIGINT, leaving every jail running.
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/http/server.h"
#include "api/service.h"
#include "daemon/config.h"
#include "daemon/state_dir.h"
#include "lib/engine/engine.h"
#include "lib/host/platform.h"
#include "lib/model/defaults.h"
#include "lib/model/error.h"
#include "lib/store/store.h"

namespace {

using namespace jaild;

void setup_logging(const daemon::config& c) {
  std::shared_ptr<spdlog::logger> logger;
  if (c.log_file.empty())
    logger = spdlog::stderr_color_mt("jaild");
  else
    logger = spdlog::basic_logger_mt("jaild", c.log_file.string());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(c.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::optional<gid_t> group_id(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (struct group* g = ::getgrnam(name.c_str())) return g->gr_gid;
  throw error(errc::unavailable, "socket_group '" + name + "' is not a group on this host");
}

// Group names of [auth] to ids; an unknown group stops jaild (a typo must not
// silently grant nothing, or the wrong group something).
std::set<gid_t> group_ids(const std::vector<std::string>& names, const char* key) {
  std::set<gid_t> out;
  for (const auto& name : names) {
    struct group* g = ::getgrnam(name.c_str());
    if (!g)
      throw error(errc::unavailable,
                  fmt::format("[auth] {}: '{}' is not a group on this host", key, name));
    out.insert(g->gr_gid);
  }
  return out;
}

api::auth_options auth_options_from(const daemon::auth_config& a) {
  api::auth_options o;
  o.admin_groups = group_ids(a.admin_groups, "admin_groups");
  o.operator_groups = group_ids(a.operator_groups, "operator_groups");
  o.viewer_groups = group_ids(a.viewer_groups, "viewer_groups");
  o.admin_cert_names = {a.admin_cert_names.begin(), a.admin_cert_names.end()};
  o.operator_cert_names = {a.operator_cert_names.begin(), a.operator_cert_names.end()};
  o.viewer_cert_names = {a.viewer_cert_names.begin(), a.viewer_cert_names.end()};
  o.daemon_uid = ::geteuid();
  return o;
}

// Blocks the stop signals in every thread, so that only sigwait() sees them.
sigset_t block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return set;
}

// Marks every descriptor above 2 close-on-exec: what jaild opened through
// libraries that do not (spdlog's log file). The listeners and connections
// set it themselves, the store and the audit log open with O_CLOEXEC.
void close_on_exec_all() {
  std::vector<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') fds.push_back(std::atoi(e->d_name));
    ::closedir(d);
  } else {
    for (int fd = 3; fd < 1024; ++fd) fds.push_back(fd);  // no /proc (FreeBSD)
  }
  for (int fd : fds) {
    if (fd <= 2) continue;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

int run(const daemon::config& c) {
  const sigset_t signals = block_signals();
  spdlog::info("jaild {} starting (platform {}, state directory {})", JAILD_VERSION,
               JAILD_PLATFORM_NAME, c.state_dir.string());

  daemon::prepare_state_dir(c.state_dir, c.socket, c.socket_mode, group_id(c.socket_group));
  auto db = store::store::open(c.database());
  spdlog::info("database {} (schema version {})", db->path().string(), db->schema_version());
  db->set_event_retention({c.events.keep, c.events.max_age});

  const std::string tag = db->instance_tag();
  spdlog::info("instance tag {} (host objects jaild names carry it)", tag);
  auto platform = host::make_platform_host(
      {c.state_dir, c.logs.console_max_bytes, c.logs.console_keep, tag});
  for (const auto& p : platform->info().prerequisites)
    if (!p.ok) spdlog::warn("host prerequisite {}: {}", p.name, p.message);

  engine::engine_options eo;
  eo.state_dir = c.state_dir;
  eo.parallel_starts = c.engine.parallel_starts;
  eo.ready_timeout = c.engine.ready_timeout;
  eo.crashloop_restarts = static_cast<int>(c.engine.crashloop_restarts);
  eo.crashloop_window = c.engine.crashloop_window;
  eo.releases_dir = c.provision.releases_dir;
  eo.jails_dir = c.provision.jails_dir;
  engine::engine eng(*db, *platform, eo);
  eng.load();
  // The kernel first: adopt what runs, clean up what a crash left, before any write.
  const auto summary = eng.reconcile();
  spdlog::info("reconciled in {} ms: {} adopted, {} vanished, {} rolled back, {} objects removed",
               summary["duration_ms"].get<long>(), summary["adopted"].get<int>(),
               summary["vanished"].get<int>(), summary["rolled_back"].get<int>(),
               summary["objects_removed"].get<int>());

  api::http::server_options so;
  so.io_threads = c.api.io_threads;
  so.blocking_threads = c.api.blocking_threads;
  so.max_body_bytes = c.api.max_body_bytes;
  so.max_header_bytes = c.api.max_header_bytes;
  so.max_connections = c.api.max_connections;
  so.admin_connections = c.api.admin_connections;
  so.max_connections_per_uid = c.api.max_connections_per_uid;
  so.long_threads = c.api.long_requests;
  so.request_timeout = c.api.request_timeout;
  so.max_target_bytes = c.api.max_target_bytes;
  // Archives being uploaded (POST /v1/jails/import-archive): jaild's own
  // directory, emptied of what a crash left.
  so.upload_dir = c.state_dir / "uploads";
  {
    std::error_code ec;
    std::filesystem::remove_all(so.upload_dir, ec);
    std::filesystem::create_directories(so.upload_dir, ec);
    if (ec || ::chmod(so.upload_dir.c_str(), 0700) != 0) {
      spdlog::warn("{}: {}; archives cannot be uploaded", so.upload_dir.string(),
                   ec ? ec.message() : std::strerror(errno));
      so.upload_dir.clear();
    }
  }
  api::http::server server(so);

  api::service_options svc_options;
  svc_options.max_body_bytes = c.api.max_body_bytes;
  svc_options.state_dir = c.state_dir.string();
  svc_options.auth = auth_options_from(c.auth);
  svc_options.audit_log = c.auth.audit_log;
  svc_options.long_requests = c.api.long_requests;
  svc_options.admin_long_requests = c.api.admin_long_requests;
  svc_options.long_requests_per_caller = c.api.long_requests_per_caller;
  svc_options.exec_output_bytes = c.api.exec_output_bytes;
  svc_options.exec_sessions = c.api.exec_sessions;
  svc_options.exec_sessions_per_caller = c.api.exec_sessions_per_caller;
  api::service svc(eng, svc_options, server.blocking_executor(), server.long_executor());

  // HTTPS first: once the socket file exists, every listener is bound.
  if (c.https.enabled()) {
    api::http::https_listen_options ho;
    ho.address = c.https.address;
    ho.port = c.https.port;
    ho.cert = c.https.cert;
    ho.key = c.https.key;
    ho.client_ca = c.https.client_ca;
    ho.handshake_timeout = c.https.handshake_timeout;
    server.listen_https(ho);
  }
  server.listen_unix({c.socket, c.socket_mode, group_id(c.socket_group)});
  close_on_exec_all();
  server.start(svc);
  spdlog::info("listening on {} (mode {:04o})", c.socket.string(), c.socket_mode);
  if (c.https.enabled())
    spdlog::info("listening on https://{}:{}{}",
                 c.https.address.find(':') != std::string::npos ? "[" + c.https.address + "]"
                                                                : c.https.address,
                 server.https_port(),
                 c.https.client_ca.empty() ? "" : " (client certificates accepted)");
  spdlog::info("audit log {}", c.auth.audit_log.string());
  eng.boot();

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      svc.reopen_audit_log();
      spdlog::info("SIGHUP: audit log reopened; restart jaild to apply a new configuration");
      continue;
    }
    spdlog::info("{}: stopping (jails keep running)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  server.stop();
  eng.shutdown();
  spdlog::info("stopped");
  return 0;
}

// glibc gives each thread that allocates an arena of its own (up to 8 per CPU),
// and every arena keeps what was freed in it: with jaild's ~50 threads, 1,000
// defined jails held 53 MB of heap, two arenas 14 MB. MALLOC_ARENA_MAX, when
// set, still decides.
void limit_malloc_arenas() {
#if defined(__GLIBC__)
  if (!std::getenv("MALLOC_ARENA_MAX")) ::mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: a helper mode of this binary (jaild-attach on FreeBSD) runs
  // with nothing of jaild's made yet.
  if (const int status = host::platform_helper_main(argc, argv); status >= 0) return status;
  limit_malloc_arenas();
  CLI::App app{"jaild: the jail supervisor daemon"};
  app.set_version_flag("--version", std::string("jaild ") + JAILD_VERSION);
  std::optional<std::filesystem::path> config_file;
  daemon::overrides flags;
  bool check_only = false;
  app.add_option("--config", config_file,
                 std::string("configuration file (TOML, see jaild.conf(5)); default ") +
                     JAILD_DEFAULT_CONFIG + " when it exists")
      ->check(CLI::ExistingFile);
  app.add_option("--state-dir", flags.state_dir,
                 std::string("directory for the database, socket and runtime files (default ") +
                     model::default_state_dir + ")");
  app.add_option("--socket", flags.socket, "UNIX socket path (default STATE_DIR/jaild.sock)");
  app.add_option("--listen", flags.listen,
                 "serve HTTPS on HOST:PORT (needs [https] cert and key in the configuration)");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn or error");
  app.add_option("--log-file", flags.log_file, "log to this file instead of standard error");
  app.add_flag("--check", check_only, "check the configuration, print it, and exit");
  CLI11_PARSE(app, argc, argv);
  // Without --config, the installed configuration file when there is one,
  // so that a service unit runs with or without it.
  if (!config_file && std::filesystem::exists(JAILD_DEFAULT_CONFIG))
    config_file = JAILD_DEFAULT_CONFIG;

  daemon::config c;
  try {
    c = daemon::load_config(config_file, flags);
  } catch (const std::exception& e) {
    std::cerr << "jaild: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "config = " << (config_file ? config_file->string() : "(none: built-in defaults)")
              << "\nstate_dir = " << c.state_dir << "\nsocket = " << c.socket
              << "\ndatabase = " << c.database() << "\naudit_log = " << c.auth.audit_log << "\n";
    if (c.https.enabled())
      std::cout << "https = " << c.https.address << ":" << c.https.port << "\n";
    return 0;
  }
  setup_logging(c);
  try {
    return run(c);
  } catch (const error& e) {
    spdlog::critical("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
