// DHCP and SLAAC for real: a VNET jail on a managed network with "dhcp": true
// runs its own busybox udhcpc, which gets the address IPAM leased to it from
// the server jaild runs on the bridge (host side, in jaild's process); a jail
// with "ip6": ["slaac"] forms an address from a router advertisement the test
// sends on the bridge, while a jail with static IPv6 on the same bridge does
// not take it. GET /v1/jails/NAME shows what each obtained. The server goes
// with the last lease on its bridge and with jaild (SIGKILL), and comes back
// for the adopted jail. All inside a network namespace of the test's own.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/support/process.h"
#include "tests/system/own_netns.h"
#include "tests/system/scenario.h"

using namespace jaild;
using namespace jaild::systest;
using json = nlohmann::json;

namespace {

// Whether a UDP socket on port 67 exists in this network namespace (jaild
// is the only one that makes any here).
bool dhcp_port_bound() {
  std::ifstream in("/proc/net/udp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, local;
    f >> slot >> local;
    if (local.size() > 5 && local.substr(local.size() - 5) == ":0043") return true;
  }
  return false;
}

// One router advertisement on `bridge` for prefix/64, as a router would send
// it (RFC 4861 4.2 with a prefix information option, autonomous flag set),
// from the bridge's link-local address to all nodes. false when the bridge
// has no usable link-local address yet (DAD).
bool advertise(const std::string& bridge, const std::string& prefix) {
  const unsigned index = if_nametoindex(bridge.c_str());
  if (!index) return false;
  const int fd = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return false;
  const int hops = 255;
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index);
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
  std::uint8_t ra[16 + 32] = {};
  ra[0] = ND_ROUTER_ADVERT;
  ra[4] = 64;              // current hop limit
  ra[6] = 0x07, ra[7] = 0x08;  // router lifetime 1800 s
  std::uint8_t* opt = ra + 16;
  opt[0] = ND_OPT_PREFIX_INFORMATION;
  opt[1] = 4;               // 32 bytes
  opt[2] = 64;              // prefix length
  opt[3] = 0xc0;            // on-link, autonomous
  opt[4] = 0x00, opt[5] = 0x01, opt[6] = 0x51, opt[7] = 0x80;   // valid 86400 s
  opt[8] = 0x00, opt[9] = 0x00, opt[10] = 0x38, opt[11] = 0x40;  // preferred 14400 s
  inet_pton(AF_INET6, prefix.c_str(), opt + 16);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_scope_id = index;
  inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
  const bool sent = ::sendto(fd, ra, sizeof ra, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
                    static_cast<ssize_t>(sizeof ra);
  ::close(fd);
  return sent;
}

bool has(const json& list, const std::string& prefix) {
  for (const auto& a : list)
    if (a.get<std::string>().rfind(prefix, 0) == 0) return true;
  return false;
}

// The jail's client: the address it is given, on the interface jaild named.
void write_client(const fs::path& root) {
  fs::create_directories(root / "etc");
  std::ofstream(root / "etc/udhcpc.script")
      << "#!/bin/sh\n"
         "case \"$1\" in\n"
         "  bound|renew) ip addr add \"$ip/$mask\" dev \"$interface\" 2>/dev/null\n"
         "               [ -n \"$router\" ] && ip route replace default via \"$router\" ;;\n"
         "  deconfig) ip link set \"$interface\" up ;;\n"
         "esac\n"
         "exit 0\n";
  std::ofstream(root / "etc/dhcp-client")
      << "#!/bin/sh\n"
         "IF=$(ip -o link show | sed -n 's/^[0-9]*: \\(e0b_[^:@]*\\).*/\\1/p' | head -n 1)\n"
         "exec udhcpc -f -i \"$IF\" -s /etc/udhcpc.script -t 30 -T 1 -A 1\n";
  for (const char* f : {"etc/udhcpc.script", "etc/dhcp-client"})
    fs::permissions(root / f, fs::perms::owner_all | fs::perms::group_read |
                                  fs::perms::group_exec | fs::perms::others_read |
                                  fs::perms::others_exec);
}

}  // namespace

TEST_CASE("dhcp: the jail's udhcpc gets its IPAM lease from jaild's server on the bridge, "
          "slaac from a router advertisement",
          "[system][dhcp]") {
  require_prerequisites();
  own_netns net;
  const auto before = count_host_objects();
  {
    scenario s;
    auto& d = s.daemon();
    const std::string bridge = prefix() + "dh";
    const std::string network = s.name("dyn");
    REQUIRE(d.curl("POST", "/v1/networks",
                   json{{"name", network}, {"bridge", bridge}, {"ip4", "10.81.0.0/24"},
                        {"ip6", "fd81::/64"}, {"dhcp", true}}.dump())
                .status == 201);
    // A DHCP interface on a network that serves none is refused, and nothing stored.
    REQUIRE(d.curl("POST", "/v1/networks",
                   json{{"name", s.name("plain")}, {"bridge", prefix() + "dp"},
                        {"ip4", "10.82.0.0/24"}}.dump())
                .status == 201);
    const auto refused = d.curl(
        "POST", "/v1/jails",
        json{{"name", s.name("nope")}, {"path", "/tmp"},
             {"vnet", {{"interfaces", {{{"network", s.name("plain")}, {"ip4", {"dhcp"}}}}}}}}
            .dump());
    CHECK(refused.status == 400);
    CHECK(refused.json()["code"] == "invalid_value");
    CHECK(refused.json()["field"] == "/vnet/interfaces/0/ip4/0");
    CHECK(d.curl("GET", "/v1/jails/" + s.name("nope")).status == 404);

    // A static address first on the bridge, so that the DHCP jail's lease is
    // not simply the first address of the subnet.
    s.define("static", {{"vnet", {{"interfaces", {{{"network", network},
                                                    {"ip4", {"10.81.0.2/24"}},
                                                    {"ip6", {"fd81::2/64"}}}}}}},
                        {"command", {"/bin/sleep", "1000"}}});
    s.define("dyn", {{"vnet", {{"interfaces", {{{"network", network}, {"ip4", {"dhcp"}},
                                                 {"ip6", {"slaac"}}}}}}},
                     {"command", {"/bin/sh", "/etc/dhcp-client"}}});
    write_client(s.root("dyn"));
    CHECK(!dhcp_port_bound());
    for (const char* j : {"static", "dyn"}) {
      auto r = d.curl("POST", "/v1/jails/" + s.name(j) + "/start");
      INFO(j << ": " << r.body);
      REQUIRE(r.status == 200);
    }
    // IPAM's lease for the jail, which the server hands out.
    std::string leased;
    const auto net_now = d.curl("GET", "/v1/networks/" + network).json();
    INFO(net_now.dump());
    for (const auto& l : net_now["leases"])
      if (l["jail"] == s.name("dyn")) leased = l["address"].get<std::string>();
    CHECK(leased == "10.81.0.3");
    const auto start = s.last_start("dyn").dump();
    CHECK(start.find("\"step\":\"dhcp.serve\"") != std::string::npos);
    CHECK(start.find("\"step\":\"vnet.slaac\"") != std::string::npos);
    CHECK(dhcp_port_bound());

    // The jail's client obtains it; the status shows it.
    CHECK(s.eventually([&] { return has(s.jail("dyn")["status"]["addresses"], leased + "/24"); },
                       std::chrono::seconds(30)));
    auto exec = [&](const std::string& jail, std::vector<std::string> argv) {
      auto r = d.curl("POST", "/v1/jails/" + s.name(jail) + "/exec", json{{"argv", argv}}.dump());
      REQUIRE(r.status == 200);
      return r.json();
    };
    const auto inside = exec("dyn", {"ip", "-4", "addr", "show"});
    CHECK(inside["stdout"].get<std::string>().find("inet " + leased + "/24") != std::string::npos);
    // With the router the server gave: the gateway answers.
    CHECK(exec("dyn", {"ping", "-c", "1", "-W", "2", "10.81.0.1"})["exit_code"] == 0);
    CHECK(exec("dyn", {"ip", "route", "show", "default"})["stdout"].get<std::string>().find(
              "via 10.81.0.1") != std::string::npos);
    // A client asking for another address (udhcpc -r) is offered its own
    // lease all the same: the server hands out IPAM's address only.
    CHECK(exec("dyn", {"sh", "-c",
                       "IF=$(ip -o link show | sed -n 's/^[0-9]*: \\(e0b_[^:@]*\\).*/\\1/p'); "
                       "udhcpc -i \"$IF\" -n -q -s /bin/true -t 2 -T 1 -r 10.81.0.77 2>&1 | "
                       "grep -q 10.81.0.3"})["exit_code"] == 0);

    // SLAAC: a router advertisement on the bridge; the slaac jail forms an
    // address of its prefix, the static one does not.
    CHECK(s.eventually(
        [&] {
          advertise(bridge, "fd7a::");
          return has(s.jail("dyn")["status"]["addresses"], "fd7a::");
        },
        std::chrono::seconds(20)));
    const auto six = exec("dyn", {"ip", "-6", "addr", "show", "scope", "global"});
    for (const auto& a : s.jail("dyn")["status"]["addresses"])
      if (a.get<std::string>().rfind("fd7a::", 0) == 0)
        CHECK(six["stdout"].get<std::string>().find(a.get<std::string>()) != std::string::npos);
    const auto static6 = exec("static", {"ip", "-6", "addr", "show", "scope", "global"});
    CHECK(static6["stdout"].get<std::string>().find("fd7a:") == std::string::npos);
    CHECK(s.jail("static")["status"]["addresses"] ==
          json::array({"10.81.0.2/24", "fd81::2/64"}));

    // jaild killed: its server goes with it; the restarted jaild adopts the
    // jail and serves its lease again (a fresh client in the jail gets it).
    s.restart_daemon(SIGKILL);
    CHECK(s.state("dyn") == "running");
    CHECK(dhcp_port_bound());
    CHECK(exec("dyn", {"sh", "-c",
                       "IF=$(ip -o link show | sed -n 's/^[0-9]*: \\(e0b_[^:@]*\\).*/\\1/p'); "
                       "udhcpc -i \"$IF\" -n -q -s /bin/true -t 5 -T 1 2>&1"})["exit_code"] == 0);

    for (const char* j : {"dyn", "static"})
      CHECK(d.curl("POST", "/v1/jails/" + s.name(j) + "/stop").status == 200);
    CHECK(!dhcp_port_bound());  // the last lease went, and the server with it
    CHECK(run({"ip", "link", "show", bridge}).status != 0);
  }
  CHECK(!dhcp_port_bound());
  CHECK(to_string(count_host_objects()) == to_string(before));
}
