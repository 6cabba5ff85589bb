// A shared-IP jail on Linux through the API: jaild holds it to its address
// with socket hooks, as FreeBSD holds such a jail. The jail's address is
// 127.0.0.2, which the host already has on loopback, so no alias is made and
// no traffic leaves loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "tests/system/scenario.h"

using namespace jaild;
using namespace jaild::systest;
using json = nlohmann::json;

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string probe(scenario& s, const std::string& jail, std::vector<std::string> args) {
  args.insert(args.begin(), "/bin/sockprobe");
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name(jail) + "/exec",
                           json{{"argv", args}}.dump());
  REQUIRE(r.status == 200);
  return trimmed(r.json()["stdout"].get<std::string>());
}

// The directory of `pid` in the unified hierarchy ("0::PATH" of /proc/PID/cgroup).
std::string unified_dir(long long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup/unified" + line.substr(3);
  return {};
}

// A TCP listener of the host's on 127.0.0.2, outside every jail.
struct listener {
  int fd = -1;
  int port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.2", &a.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~listener() { ::close(fd); }
};

}  // namespace

TEST_CASE("shared-IP jail: held to its address on Linux, by execs and by its init", "[system]") {
  scenario s;
  auto info = s.daemon().curl("GET", "/v1/info").json();
  INFO(info.dump());
  REQUIRE(info.dump().find("\"shared_ip_restricted\":true") != std::string::npos);
  listener host_service;
  s.define("sip", {{"ip4", {"127.0.0.2"}},
                   {"command", {"/bin/sh", "-c", "/bin/sockprobe bind 0.0.0.0 > /init.txt; sleep 600"}}});
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("sip") + "/start");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\"step\":\"socket.restrict\"") != std::string::npos);

  // The wildcard and loopback become the jail's address; the host's others are refused.
  CHECK(probe(s, "sip", {"bind", "0.0.0.0"}) == "127.0.0.2");
  CHECK(probe(s, "sip", {"bind", "127.0.0.1"}) == "127.0.0.2");
  CHECK(probe(s, "sip", {"bind", "127.0.0.2"}) == "127.0.0.2");
  CHECK(probe(s, "sip", {"bind", "127.0.0.3"}) == "127.0.0.2");
  // Any other address is refused by the hook (EPERM) before the kernel would
  // say the host lacks it (EADDRNOTAVAIL, 99).
  CHECK(probe(s, "sip", {"bind", "10.99.0.9"}) == "errno:1");
  // Without an IPv6 address of its own, an IPv6 socket gets the jail's IPv4
  // address mapped, and no IPv6 address at all.
  CHECK(probe(s, "sip", {"bind", "::"}) == "::ffff:127.0.0.2");
  CHECK(probe(s, "sip", {"bind", "fd00:99::9"}) == "errno:1");
  // A connection to loopback reaches the jail's own address, and leaves from it.
  CHECK(probe(s, "sip", {"connect", "127.0.0.1", std::to_string(host_service.port)}) ==
        "127.0.0.2->127.0.0.2");
  // What init started is held the same way.
  const auto root = s.root("sip");
  REQUIRE(s.eventually([&] { return fs::exists(root / "init.txt") && fs::file_size(root / "init.txt") > 0; }));
  std::ifstream in(root / "init.txt");
  std::string init_bound;
  std::getline(in, init_bound);
  CHECK(init_bound == "127.0.0.2");

  // The hooks' directory goes with the jail.
  const auto pid = s.jail("sip")["status"]["jid"].get<long long>();
  const auto dir = unified_dir(pid);
  INFO(dir);
  // In this jaild's own parent, "jaild-<tag>".
  REQUIRE(dir.find("/jaild-") != std::string::npos);
  REQUIRE(dir.find("/" + s.name("sip") + ".") != std::string::npos);
  REQUIRE(fs::exists(dir));
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("sip") + "/stop").status == 200);
  CHECK_FALSE(fs::exists(dir));
}
