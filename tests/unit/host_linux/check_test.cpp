// The Linux adapter's check(): what it refuses and what it warns about.
// check() reads no more than /proc and the CPU mask, so it runs unprivileged.
#include <catch2/catch.hpp>

#include <fstream>

#include "lib/host/platform.h"
#include "lib/model/error.h"
#include "tests/support/temp_dir.h"

using namespace jaild;

namespace {
model::jail_spec spec() {
  model::jail_spec s;
  s.name = "web";
  s.path = "/";  // check() wants the root to exist
  return s;
}
}  // namespace

TEST_CASE("linux check: limits Linux cannot enforce are refused by name", "[host_linux]") {
  auto host = host::make_platform_host({"/tmp"});
  auto s = spec();
  s.limits = {"memoryuse:deny=1G", "wallclock:sigkill=3600"};
  try {
    host->check(s);
    FAIL("check must refuse wallclock");
  } catch (const error& e) {
    CHECK(e.code() == errc::unsupported_on_platform);
    CHECK(std::string(e.what()).find("'wallclock:sigkill=3600'") != std::string::npos);
    CHECK(std::string(e.what()).find("not supported on Linux") != std::string::npos);
  }
}

TEST_CASE("linux check: warnings for what Linux runs with a weaker guarantee", "[host_linux]") {
  auto host = host::make_platform_host({"/tmp"});
  auto s = spec();
  CHECK(host->check(s).empty());
  s.ip4 = {"lo|10.99.0.5/32"};
  s.limits = {"openfiles:deny=1024"};
  // ip6 = "inherit" beside ip4 addresses: the socket hooks cannot leave one family free.
  s.params["ip6"] = "inherit";
  auto w = host->check(s);
  REQUIRE(w.size() == 2);
  CHECK(w[0].find("per process") != std::string::npos);
  CHECK(w[1].find("\"inherit\": on Linux it is not held to its addresses") != std::string::npos);
}

TEST_CASE("linux check: a cpuset beyond the host's CPUs and an unknown mount type",
          "[host_linux]") {
  auto host = host::make_platform_host({"/tmp"});
  auto s = spec();
  s.cpuset = "1023";
  CHECK_THROWS_AS(host->check(s), error);
  s.cpuset = "0";
  CHECK_NOTHROW(host->check(s));
  s.mount.entries = {"pool/data /data zfs rw"};
  try {
    host->check(s);
    FAIL("check must refuse zfs");
  } catch (const error& e) {
    CHECK(e.code() == errc::unsupported_on_platform);
  }
}

TEST_CASE("linux check: a path that is not a directory is refused with the field",
          "[host_linux]") {
  auto host = host::make_platform_host({"/tmp"});
  test::temp_dir dir{"jaild-check"};
  std::ofstream(dir / "file") << "x";
  auto s = spec();
  for (const auto& [path, says] :
       {std::pair{(dir / "missing").string(), "does not exist"},
        std::pair{(dir / "file").string(), "is not a directory"}}) {
    s.path = path;
    try {
      host->check(s);
      FAIL("check accepted " << path);
    } catch (const error& e) {
      CHECK(e.code() == errc::invalid_value);
      CHECK(e.field() == "/path");
      CHECK(std::string(e.what()).find(says) != std::string::npos);
    }
  }
  s.path = dir.path().string();
  CHECK_NOTHROW(host->check(s));
}

TEST_CASE("linux check: a port published on loopback is refused", "[host_linux]") {
  auto host = host::make_platform_host({"/tmp"});
  auto s = spec();
  s.ip4 = {"10.99.0.5"};
  s.ports = {"tcp/8080:80", "tcp/[::]:8443:443", "tcp/198.18.0.1:9090:90"};
  CHECK_NOTHROW(host->check(s));
  for (const char* loopback : {"tcp/127.0.0.1:8080:81", "udp/127.1.2.3:53:53", "tcp/[::1]:8080:80"}) {
    s.ports = {"tcp/9999:80", loopback};
    try {
      host->check(s);
      FAIL("accepted " << loopback);
    } catch (const error& e) {
      CHECK(e.code() == errc::unsupported_on_platform);
      CHECK(e.field() == "/ports/1");
    }
  }
}
