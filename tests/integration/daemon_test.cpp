// jaild as a process: start-up, the socket, the state-directory lock,
// configuration, and a clean stop on SIGTERM and SIGINT.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/daemon_fixture.h"

using namespace jaild::test;

TEST_CASE("daemon: serves health on a 0660 socket under its state directory", "[integration]") {
  daemon_fixture d;
  d.start();
  struct stat st {};
  REQUIRE(stat(d.socket().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);
  CHECK(std::filesystem::exists(d.database()));
  auto r = d.curl("GET", "/v1/health");
  CHECK(r.status == 200);
  CHECK(r.json()["status"] == "ok");
  r = d.curl("GET", "/v1/info");
  CHECK(r.status == 200);
  CHECK(r.json()["state_dir"] == d.state_dir().string());
}

TEST_CASE("daemon: the state directory and what is in it are root's alone", "[integration]") {
  daemon_fixture d;
  // An older jaild's database, left readable by every local user.
  std::ofstream(d.database()) << "";
  std::filesystem::permissions(d.database(), std::filesystem::perms(0644));
  std::filesystem::permissions(d.state_dir(), std::filesystem::perms(0755));
  d.start();
  // Something is written: WAL files exist, the audit log has a line.
  REQUIRE(d.curl("POST", "/v1/jails", R"({"name":"modes","path":"/tmp"})").status == 201);
  auto mode = [](const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };
  CHECK(mode(d.state_dir()) == 0700);
  CHECK(mode(d.database()) == 0600);
  for (const char* side : {"-wal", "-shm"}) {
    const auto p = d.database().string() + side;
    if (std::filesystem::exists(p)) CHECK(mode(p) == 0600);
  }
  CHECK(mode(d.state_dir() / "audit.log") == 0600);
  CHECK(mode(d.state_dir() / "jaild.db.lock") == 0600);
}

TEST_CASE("daemon: SIGTERM and SIGINT stop it cleanly and remove the socket", "[integration]") {
  for (int sig : {15, 2}) {
    INFO("signal " << sig);
    daemon_fixture d;
    d.start();
    CHECK(d.stop(sig) == 0);
    CHECK_FALSE(std::filesystem::exists(d.socket()));
    CHECK(d.process().log().find("stopped") != std::string::npos);
  }
}

TEST_CASE("daemon: a second jaild on the same state directory refuses to start", "[integration]") {
  daemon_fixture d;
  d.start();
  auto second = run({jaild_binary(), "--state-dir", d.state_dir().string(), "--socket",
                     (d.state_dir() / "other.sock").string()},
                    {}, {}, std::chrono::seconds(20));
  CHECK(second.status == 1);
  INFO(second.err);
  CHECK(second.err.find("another jaild (pid " + std::to_string(d.process().pid()) + ")") !=
        std::string::npos);
  // The first one is unharmed.
  CHECK(d.curl("GET", "/v1/health").status == 200);
}

TEST_CASE("daemon: a live socket of another jaild is never taken over", "[integration]") {
  daemon_fixture a;
  a.start();
  temp_dir other;
  auto second = run({jaild_binary(), "--state-dir", other.path().string(), "--socket",
                     a.socket().string()},
                    {}, {}, std::chrono::seconds(20));
  CHECK(second.status == 1);
  INFO(second.err);
  CHECK(second.err.find("in use") != std::string::npos);
  CHECK(a.curl("GET", "/v1/health").status == 200);
}

TEST_CASE("daemon: a stale socket file is replaced", "[integration]") {
  daemon_fixture d;
  d.start();
  d.process().stop(9);  // SIGKILL leaves the socket file behind
  REQUIRE(std::filesystem::exists(d.socket()));
  d.start();
  CHECK(d.curl("GET", "/v1/health").status == 200);
}

TEST_CASE("daemon: configuration file keys apply and bad files are refused", "[integration]") {
  temp_dir dir;
  const auto conf = dir / "jaild.conf";
  const auto sock = dir / "custom.sock";
  std::ofstream(conf) << "# jaild.conf\nsocket = \"" << sock.string()
                      << "\"\nsocket_mode = \"0600\"\nlog_level = \"debug\"\n[api]\n"
                         "max_body_bytes = 2048\n";
  daemon_fixture d;
  background daemon({jaild_binary(), "--config", conf.string(), "--state-dir",
                     d.state_dir().string()},
                    dir / "log");
  REQUIRE(wait_for_socket(sock));
  struct stat st {};
  REQUIRE(stat(sock.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto big = run({"curl", "-sS", "--unix-socket", sock.string(), "-o", "/dev/null", "-w",
                  "%{http_code}", "-H", "Content-Type: application/json", "--data-binary", "@-",
                  "http://localhost/v1/jails"},
                 std::string(4096, ' '));
  CHECK(big.out == "413");
  CHECK(daemon.stop(15) == 0);

  std::ofstream(conf) << "socket_mode = \"0660\"\nsockt = \"/tmp/x\"\n";
  auto bad = run({jaild_binary(), "--config", conf.string(), "--check"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find(conf.string() + ":2:1: unknown key 'sockt'") != std::string::npos);

  std::ofstream(conf) << "[api]\nio_threads = 0\n";
  bad = run({jaild_binary(), "--config", conf.string(), "--check"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("must be from 1 to 64") != std::string::npos);

  std::ofstream(conf) << "state_dir = [\n";
  bad = run({jaild_binary(), "--config", conf.string(), "--check"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find(conf.string() + ":") != std::string::npos);
}

TEST_CASE("daemon: an unusable database is a clear start-up error", "[integration]") {
  temp_dir dir;
  std::ofstream(dir / "jaild.db") << std::string(4096, 'x');
  auto r = run({jaild_binary(), "--state-dir", dir.path().string()}, {}, {},
               std::chrono::seconds(20));
  CHECK(r.status == 1);
  INFO(r.err);
  CHECK(r.err.find("is not a jaild database") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "jaild.sock"));
}
