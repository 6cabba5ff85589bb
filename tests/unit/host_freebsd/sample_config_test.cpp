// etc/jaild.conf.sample is a file jaild really accepts, with the FreeBSD
// paths the rc.d script and the documentation promise.
#include <catch2/catch.hpp>

#include "daemon/config.h"

TEST_CASE("sample config: etc/jaild.conf.sample loads with FreeBSD paths", "[host_freebsd]") {
  const std::filesystem::path sample = JAILD_FREEBSD_TEST_DIR "/../../../etc/jaild.conf.sample";
  REQUIRE(std::filesystem::exists(sample));
  const auto c = jaild::daemon::load_config(sample, {});
  CHECK(c.state_dir == "/var/db/jaild");
  CHECK(c.socket == "/var/run/jaild.sock");
  CHECK(c.database() == "/var/db/jaild/jaild.db");
  CHECK(c.socket_mode == 0660);
  CHECK(c.log_level == "info");
  CHECK(c.log_file.empty());
  CHECK(c.api.io_threads == 2);
  CHECK(c.api.blocking_threads == 32);
  CHECK(c.api.max_body_bytes == 1048576);
  CHECK(c.api.max_header_bytes == 16384);
  CHECK(c.api.max_connections == 1024);
  CHECK(c.api.request_timeout == std::chrono::seconds(30));
  CHECK(c.engine.parallel_starts == 8);
  CHECK(c.engine.ready_timeout == std::chrono::seconds(60));
  CHECK(c.engine.crashloop_restarts == 5);
  CHECK(c.engine.crashloop_window == std::chrono::seconds(60));
  // Every value in the sample is the built-in default, except the socket.
  auto defaults = jaild::daemon::load_config(std::nullopt, {});
  CHECK(c.api.blocking_threads == defaults.api.blocking_threads);
  CHECK(c.api.max_connections == defaults.api.max_connections);
  CHECK(c.engine.parallel_starts == defaults.engine.parallel_starts);
  CHECK(c.engine.crashloop_window == defaults.engine.crashloop_window);
}
