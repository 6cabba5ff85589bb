#include "daemon/config.h"
#include "daemon/state_dir.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "lib/model/defaults.h"
#include "tests/support/temp_dir.h"

using namespace jaild;

TEST_CASE("config: with nothing given, jaild and jailctl meet at the default socket", "[daemon]") {
  auto c = daemon::load_config(std::nullopt, {});
  CHECK(c.state_dir == model::default_state_dir);
  CHECK(c.socket == model::default_socket);
  CHECK(c.database() == std::filesystem::path(model::default_state_dir) / "jaild.db");
}

TEST_CASE("config: a state directory brings its own socket unless one is named", "[daemon]") {
  daemon::overrides o;
  o.state_dir = "/tmp/jaild-x";
  auto c = daemon::load_config(std::nullopt, o);
  CHECK(c.socket == "/tmp/jaild-x/jaild.sock");
  o.socket = "/tmp/other.sock";
  c = daemon::load_config(std::nullopt, o);
  CHECK(c.socket == "/tmp/other.sock");

  test::temp_dir dir;
  std::ofstream(dir / "jaild.conf") << "state_dir = \"/srv/jaild\"\n";
  c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.socket == "/srv/jaild/jaild.sock");
  std::ofstream(dir / "jaild.conf") << "socket = \"/run/j.sock\"\n";
  c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.state_dir == model::default_state_dir);
  CHECK(c.socket == "/run/j.sock");
}

TEST_CASE("config: [engine] and [api] keys apply, bad ones say where", "[daemon]") {
  test::temp_dir dir;
  std::ofstream(dir / "jaild.conf") << "[engine]\nparallel_starts = 3\nready_timeout_s = 5\n"
                                       "[api]\nmax_body_bytes = 4096\n";
  auto c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.engine.parallel_starts == 3);
  CHECK(c.engine.ready_timeout == std::chrono::seconds(5));
  CHECK(c.api.max_body_bytes == 4096);
  std::ofstream(dir / "jaild.conf") << "[engine]\nparalel_starts = 3\n";
  try {
    daemon::load_config(dir / "jaild.conf", {});
    FAIL("accepted an unknown key");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(":2:1: unknown key 'engine.paralel_starts'") !=
          std::string::npos);
  }
}

TEST_CASE("config: [logs] bounds the console logs", "[daemon]") {
  test::temp_dir dir;
  auto c = daemon::load_config(std::nullopt, {});
  CHECK(c.logs.console_max_bytes == 10u << 20);
  CHECK(c.logs.console_keep == 3);
  std::ofstream(dir / "jaild.conf") << "[logs]\nconsole_max_bytes = 65536\nconsole_keep = 0\n";
  c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.logs.console_max_bytes == 65536);
  CHECK(c.logs.console_keep == 0);
  std::ofstream(dir / "jaild.conf") << "[logs]\nconsole_max_bytes = 10\n";
  CHECK_THROWS(daemon::load_config(dir / "jaild.conf", {}));
}

TEST_CASE("config: [api] connection limits per uid and for admins", "[daemon]") {
  test::temp_dir dir;
  auto c = daemon::load_config(std::nullopt, {});
  CHECK(c.api.admin_connections == 16);
  CHECK(c.api.max_connections_per_uid == 64);
  std::ofstream(dir / "jaild.conf") << "[api]\nmax_connections = 8\n";
  c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.api.admin_connections == 2);  // a quarter of a small max_connections
  std::ofstream(dir / "jaild.conf")
      << "[api]\nmax_connections = 8\nadmin_connections = 3\nmax_connections_per_uid = 0\n";
  c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.api.admin_connections == 3);
  CHECK(c.api.max_connections_per_uid == 0);
  std::ofstream(dir / "jaild.conf") << "[api]\nmax_connections = 8\nadmin_connections = 8\n";
  CHECK_THROWS(daemon::load_config(dir / "jaild.conf", {}));
  CHECK(daemon::load_config(std::nullopt, {}).api.long_requests_per_caller == 8);
  CHECK(daemon::load_config(std::nullopt, {}).api.exec_output_bytes == 1024 * 1024);
  std::ofstream(dir / "jaild.conf") << "[api]\nexec_output_bytes = 4096\n";
  CHECK(daemon::load_config(dir / "jaild.conf", {}).api.exec_output_bytes == 4096);
  std::ofstream(dir / "jaild.conf") << "[api]\nexec_output_bytes = 10\n";
  CHECK_THROWS(daemon::load_config(dir / "jaild.conf", {}));
  std::ofstream(dir / "jaild.conf") << "[api]\nlong_requests = 2\n";
  c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.api.long_requests == 2);
  CHECK(c.api.admin_long_requests == 0);  // a quarter of a small long_requests
  std::ofstream(dir / "jaild.conf") << "[api]\nlong_requests = 2\nadmin_long_requests = 2\n";
  CHECK_THROWS(daemon::load_config(dir / "jaild.conf", {}));
}

TEST_CASE("config: [events] sets the retention of stored events", "[daemon]") {
  test::temp_dir dir;
  auto c = daemon::load_config(std::nullopt, {});
  CHECK(c.events.keep == 100000);
  CHECK(c.events.max_age == std::chrono::hours(24 * 30));
  std::ofstream(dir / "jaild.conf") << "[events]\nkeep = 500\nmax_age_days = 0\n";
  c = daemon::load_config(dir / "jaild.conf", {});
  CHECK(c.events.keep == 500);
  CHECK(c.events.max_age.count() == 0);
  std::ofstream(dir / "jaild.conf") << "[events]\nkeep = 0\n";
  CHECK_THROWS(daemon::load_config(dir / "jaild.conf", {}));
  std::ofstream(dir / "jaild.conf") << "[events]\nkeeep = 5\n";
  CHECK_THROWS(daemon::load_config(dir / "jaild.conf", {}));
}

TEST_CASE("state directory: search permission only for who may reach the socket inside",
          "[daemon]") {
  using jaild::daemon::state_dir_mode;
  CHECK(state_dir_mode(true, 0660, false) == 0700);  // root's group: root only
  CHECK(state_dir_mode(true, 0660, true) == 0710);   // the operators' socket_group
  CHECK(state_dir_mode(true, 0666, true) == 0711);
  CHECK(state_dir_mode(true, 0600, true) == 0700);
  CHECK(state_dir_mode(false, 0666, true) == 0700);  // the socket is elsewhere
}
