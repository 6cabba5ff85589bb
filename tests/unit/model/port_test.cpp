#include <catch2/catch.hpp>

#include "lib/model/error.h"
#include "lib/model/jail_spec.h"
#include "lib/model/network.h"
#include "lib/model/port.h"

using namespace jaild;
using namespace jaild::model;
using json = nlohmann::json;

namespace {

published_port port(const std::string& text) {
  std::string why;
  auto p = parse_port(text, &why);
  INFO(text << ": " << why);
  REQUIRE(p);
  return *p;
}

std::string refusal(const std::string& text) {
  std::string why;
  CHECK_FALSE(parse_port(text, &why));
  return why;
}

jail_spec jail(const std::string& name, std::vector<std::string> ports) {
  jail_spec s;
  s.name = name;
  s.path = "/jails/" + name;
  s.ip4 = {"10.0.0.2"};
  s.ports = std::move(ports);
  return s;
}

}  // namespace

TEST_CASE("ports: the forms of a published port", "[model][ports]") {
  auto p = port("tcp/8080:80");
  CHECK(p.proto == port_proto::tcp);
  CHECK(p.host_address.empty());
  CHECK(p.host_port == 8080);
  CHECK(p.jail_port == 80);
  CHECK(p.on_v4());
  CHECK(p.on_v6());

  p = port("udp/5353:53");
  CHECK(p.proto == port_proto::udp);
  CHECK(p.host_port == 5353);
  CHECK(p.jail_port == 53);

  p = port("tcp/[::]:8443:443");
  CHECK(p.v6);
  CHECK(p.host_address == "::");
  CHECK(p.any_address());
  CHECK_FALSE(p.on_v4());
  CHECK(p.on_v6());

  p = port("tcp/127.0.0.1:8080:80");
  CHECK_FALSE(p.v6);
  CHECK(p.host_address == "127.0.0.1");
  CHECK_FALSE(p.any_address());
  CHECK(p.on_v4());
  CHECK_FALSE(p.on_v6());

  p = port("tcp/53");
  CHECK(p.host_port == 53);
  CHECK(p.jail_port == 53);

  // IPv6 addresses are kept in their canonical form.
  CHECK(port("udp/[2001:DB8:0::1]:53:53").host_address == "2001:db8::1");
}

TEST_CASE("ports: port_text is canonical and parses back", "[model][ports]") {
  for (const char* text : {"tcp/8080:80", "udp/5353:53", "tcp/[::]:8443:443",
                           "tcp/127.0.0.1:8080:80", "udp/[2001:db8::1]:53:53"})
    CHECK(port_text(port(text)) == text);
  CHECK(port_text(port("tcp/53")) == "tcp/53:53");
  CHECK(port_text(port("udp/[2001:DB8::1]:53:53")) == "udp/[2001:db8::1]:53:53");
}

TEST_CASE("ports: what is not a port is refused with a reason", "[model][ports]") {
  CHECK(refusal("8080:80").find("PROTO/") != std::string::npos);
  CHECK(refusal("sctp/8080:80").find("tcp or udp") != std::string::npos);
  CHECK(refusal("tcp/0:80").find("1 to 65535") != std::string::npos);
  CHECK(refusal("tcp/65536:80").find("1 to 65535") != std::string::npos);
  CHECK(refusal("tcp/8080:080").find("1 to 65535") != std::string::npos);
  CHECK(refusal("tcp/80a").find("1 to 65535") != std::string::npos);
  CHECK(refusal("tcp/").find("1 to 65535") != std::string::npos);
  CHECK(refusal("tcp/300.0.0.1:80:80").find("not an IPv4 address") != std::string::npos);
  CHECK(refusal("tcp/::1:80:80").find("not an IPv4") != std::string::npos);
  CHECK(refusal("tcp/[::1]80:80").find("[ADDR]:HOSTPORT") != std::string::npos);
  CHECK(refusal("tcp/[10.0.0.1]:80:80").find("not an IPv6 address") != std::string::npos);
  CHECK(refusal("tcp/10.0.0.1:80").find("PROTO/") != std::string::npos);
  CHECK(refusal("tcp/1:2:3:4").find("in brackets") != std::string::npos);
}

TEST_CASE("ports: overlap is the same protocol, host port and an overlapping address",
          "[model][ports]") {
  CHECK(ports_overlap(port("tcp/8080:80"), port("tcp/8080:81")));
  CHECK_FALSE(ports_overlap(port("tcp/8080:80"), port("udp/8080:80")));
  CHECK_FALSE(ports_overlap(port("tcp/8080:80"), port("tcp/8081:80")));
  // No address: every address of both families.
  CHECK(ports_overlap(port("tcp/8080:80"), port("tcp/10.1.1.1:8080:80")));
  CHECK(ports_overlap(port("tcp/[::1]:8080:80"), port("tcp/8080:80")));
  // The unspecified address of a family: every address of that family only.
  CHECK(ports_overlap(port("tcp/0.0.0.0:8080:80"), port("tcp/10.1.1.1:8080:80")));
  CHECK(ports_overlap(port("tcp/[::]:8080:80"), port("tcp/[2001:db8::1]:8080:80")));
  CHECK_FALSE(ports_overlap(port("tcp/0.0.0.0:8080:80"), port("tcp/[::]:8080:80")));
  CHECK_FALSE(ports_overlap(port("tcp/[::]:8080:80"), port("tcp/10.1.1.1:8080:80")));
  // Two specific addresses overlap only when they are one.
  CHECK(ports_overlap(port("tcp/10.1.1.1:8080:80"), port("tcp/10.1.1.1:8080:90")));
  CHECK_FALSE(ports_overlap(port("tcp/10.1.1.1:8080:80"), port("tcp/10.1.1.2:8080:80")));
  CHECK(ports_overlap(port("tcp/[2001:db8::1]:8080:80"), port("tcp/[2001:DB8:0::1]:8080:80")));
}

TEST_CASE("ports: a host port is published by one jail only", "[model][ports]") {
  const std::vector<jail_spec> all{jail("a", {"tcp/8080:80"}), jail("b", {"udp/53:53"}),
                                   jail("c", {"tcp/[::]:443:443"})};
  // Itself is no conflict (a PUT of the same jail).
  CHECK_NOTHROW(check_published_ports(all, jail("a", {"tcp/8080:80"})));
  CHECK_NOTHROW(check_published_ports(all, jail("d", {"tcp/53:53", "udp/8080:80",
                                                      "tcp/0.0.0.0:443:443"})));
  try {
    check_published_ports(all, jail("d", {"tcp/9090:90", "tcp/10.0.0.9:8080:80"}));
    FAIL("no conflict found");
  } catch (const error& e) {
    CHECK(e.code() == errc::port_conflict);
    CHECK(e.field() == "/ports/1");
    CHECK(std::string(e.what()).find("jail 'a'") != std::string::npos);
  }
  try {
    check_published_ports(all, jail("d", {"tcp/[2001:db8::5]:443:8443"}));
    FAIL("no conflict found");
  } catch (const error& e) {
    CHECK(e.code() == errc::port_conflict);
    CHECK(e.field() == "/ports/0");
  }
}

TEST_CASE("ports: the spec field, validated and kept verbatim", "[model][ports]") {
  json j = {{"name", "web"}, {"path", "/jails/web"}, {"ip4", {"em0|10.0.0.5/24"}},
            {"ports", {"tcp/8080:80", "udp/[::]:5353:53"}}};
  auto s = spec_from_json(j);
  CHECK(s.ports == std::vector<std::string>{"tcp/8080:80", "udp/[::]:5353:53"});
  CHECK(spec_from_json(spec_to_json(s)) == s);
  CHECK(spec_to_json(s)["ports"] == j["ports"]);

  auto refused = [&](json spec) {
    try {
      spec_from_json(spec);
    } catch (const error& e) {
      return std::pair<errc, std::string>{e.code(), e.field()};
    }
    return std::pair<errc, std::string>{errc::internal, "accepted"};
  };
  auto bad = j;
  bad["ports"] = {"tcp/8080:80", "tcp/http"};
  CHECK(refused(bad) == std::pair<errc, std::string>{errc::invalid_value, "/ports/1"});
  // Two ports of one spec on the same host socket.
  bad["ports"] = {"tcp/8080:80", "udp/8080:80", "tcp/0.0.0.0:8080:81"};
  CHECK(refused(bad) == std::pair<errc, std::string>{errc::invalid_value, "/ports/2"});
  // Nowhere to forward to.
  bad = j;
  bad.erase("ip4");
  CHECK(refused(bad) == std::pair<errc, std::string>{errc::invalid_value, "/ports"});
  bad["vnet"] = {{"interfaces", {{{"bridge", "br0"}}}}};
  CHECK(refused(bad) == std::pair<errc, std::string>{errc::invalid_value, "/ports"});
  bad["vnet"] = {{"interfaces", {{{"network", "lan"}}}}};
  CHECK(refused(bad).second == "accepted");
}

TEST_CASE("networks: nat is none, the default route's interface, or a named uplink",
          "[model][ports]") {
  json n = {{"name", "lan"}, {"bridge", "br0"}, {"ip4", "10.20.0.0/24"}};
  CHECK_FALSE(network_from_json(n).nat);
  CHECK(network_to_json(network_from_json(n))["nat"] == false);
  n["nat"] = false;
  CHECK_FALSE(network_from_json(n).nat);
  n["nat"] = true;
  CHECK(network_from_json(n).nat == std::optional<std::string>(""));
  CHECK(network_to_json(network_from_json(n))["nat"] == true);
  n["nat"] = "eth1";
  CHECK(network_from_json(n).nat == std::optional<std::string>("eth1"));
  n["nat"] = {{"uplink", "eth2"}};
  CHECK(network_from_json(n).nat == std::optional<std::string>("eth2"));
  CHECK(network_to_json(network_from_json(n))["nat"] == n["nat"]);
  CHECK(network_from_json(network_to_json(network_from_json(n))) == network_from_json(n));

  auto code = [](const json& j) {
    try {
      network_from_json(j);
    } catch (const error& e) {
      return e.field() + " " + std::string(errc_name(e.code()));
    }
    return std::string("accepted");
  };
  n["nat"] = {{"uplink", "eth2"}, {"via", "x"}};
  CHECK(code(n) == "/nat/via unknown_field");
  n["nat"] = 5;
  CHECK(code(n) == "/nat invalid_type");
  n["nat"] = "not an interface name at all";
  CHECK(code(n) == "/nat invalid_value");
  // Masquerade is IPv4 (no NAT66).
  json v6 = {{"name", "lan6"}, {"bridge", "br6"}, {"ip6", "fd00:1::/64"}, {"nat", true}};
  CHECK(code(v6) == "/nat invalid_value");
}

TEST_CASE("ports: a port needs an address of its family to go to", "[model][ports]") {
  const std::vector<published_port> both{port("tcp/8080:80")}, v6{port("tcp/[::]:443:443")},
      v4{port("udp/0.0.0.0:53:53")};
  CHECK_NOTHROW(check_port_families(both, true, false));
  CHECK_NOTHROW(check_port_families(both, false, true));
  CHECK_NOTHROW(check_port_families(v6, false, true));
  auto field = [](const std::vector<published_port>& ports, bool has4, bool has6) {
    try {
      check_port_families(ports, has4, has6);
    } catch (const error& e) {
      return e.field() + " " + e.what();
    }
    return std::string("accepted");
  };
  CHECK(field(v6, true, false).rfind("/ports/0 port tcp/[::]:443:443 is published on IPv6", 0) == 0);
  CHECK(field({both[0], v4[0]}, false, true).rfind("/ports/1 port udp/0.0.0.0:53:53 is published on IPv4", 0) == 0);
  CHECK(field(both, false, false).rfind("/ports/0 ", 0) == 0);
}
