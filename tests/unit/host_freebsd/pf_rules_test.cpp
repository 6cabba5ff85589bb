// pf anchors for NAT and published ports: names, rule text and pfctl argv,
// against golden text.
#include <catch2/catch.hpp>

#include "lib/host/freebsd/pf_rules.h"
#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::host::freebsd;

namespace {

model::published_port port(const std::string& text) {
  auto p = model::parse_port(text, nullptr);
  REQUIRE(p);
  return *p;
}

}  // namespace

TEST_CASE("pf: every rule is below jaild's anchor, one per jail", "[pf]") {
  CHECK(jail_anchor("web") == "jaild/web");
  CHECK(anchor_lines() == std::vector<std::string>{"nat-anchor \"jaild/*\"",
                                                   "rdr-anchor \"jaild/*\"", "anchor \"jaild/*\""});
  CHECK(load_anchor_argv("jaild/web") ==
        std::vector<std::string>{"/sbin/pfctl", "-a", "jaild/web", "-f", "-"});
  CHECK(flush_anchor_argv("jaild/web") ==
        std::vector<std::string>{"/sbin/pfctl", "-a", "jaild/web", "-F", "all"});
  CHECK(show_nat_argv() == std::vector<std::string>{"/sbin/pfctl", "-s", "nat"});
  CHECK(show_rules_argv() == std::vector<std::string>{"/sbin/pfctl", "-s", "rules"});
  CHECK(default_route_argv() == std::vector<std::string>{"/sbin/route", "-n", "get", "default"});
}

TEST_CASE("pf: a jail's anchor, golden", "[pf]") {
  host::jail_firewall j;
  j.nat = {{"10.0.0.10", "em0"}};
  j.address4 = "10.0.0.10";
  j.address6 = "2001:db8:1::10";
  j.ports = {port("tcp/8080:80"), port("udp/198.51.100.7:5353:53"), port("tcp/[::]:8443:443")};
  j.segments = {{"bridge0", "10.0.0.0/24", false}, {"bridge0", "2001:db8:1::/64", true}};
  CHECK(jail_rules("webserver", j) ==
        "# jaild: NAT and published ports of jail webserver\n"
        "nat on em0 inet from 10.0.0.10 to any -> (em0)\n"
        "nat on bridge0 inet proto tcp from 10.0.0.0/24 to 10.0.0.10 port 80 tagged jaild_rdr -> (bridge0)\n"
        "nat on bridge0 inet6 proto tcp from 2001:db8:1::/64 to 2001:db8:1::10 port 80 tagged jaild_rdr -> (bridge0)\n"
        "nat on bridge0 inet proto udp from 10.0.0.0/24 to 10.0.0.10 port 53 tagged jaild_rdr -> (bridge0)\n"
        "nat on bridge0 inet6 proto tcp from 2001:db8:1::/64 to 2001:db8:1::10 port 443 tagged jaild_rdr -> (bridge0)\n"
        "rdr pass inet proto tcp from any to self port 8080 tag jaild_rdr -> 10.0.0.10 port 80\n"
        "rdr pass inet6 proto tcp from any to self port 8080 tag jaild_rdr -> 2001:db8:1::10 port 80\n"
        "rdr pass inet proto udp from any to 198.51.100.7 port 5353 tag jaild_rdr -> 10.0.0.10 port 53\n"
        "rdr pass inet6 proto tcp from any to self port 8443 tag jaild_rdr -> 2001:db8:1::10 port 443\n");

  // A shared-IP jail (no segments): rdr only, to its own address.
  host::jail_firewall shared;
  shared.address4 = "192.0.2.20";
  shared.ports = {port("tcp/5432:5432")};
  CHECK(jail_rules("db", shared) ==
        "# jaild: NAT and published ports of jail db\n"
        "rdr pass inet proto tcp from any to self port 5432 tag jaild_rdr -> 192.0.2.20 port 5432\n");

  // A port of a family the jail has no address of.
  shared.ports.push_back(port("tcp/[::]:443:443"));
  try {
    jail_rules("db", shared);
    FAIL("accepted");
  } catch (const error& e) {
    CHECK(e.code() == errc::invalid_value);
    CHECK(e.field() == "/ports/1");
  }
}

TEST_CASE("pf: the anchor lines pf.conf lacks, from pfctl -s nat and -s rules", "[pf]") {
  const std::string nat = "nat on em0 inet from 10.9.0.0/24 to any -> (em0) round-robin\n"
                          "nat-anchor \"jaild/*\" all\n"
                          "rdr-anchor \"jaild/*\" all\n";
  const std::string rules = "scrub in all fragment reassemble\n"
                            "anchor \"jaild/*\" all\n"
                            "pass in all flags S/SA keep state\n";
  CHECK(missing_anchor_lines(nat, rules).empty());
  CHECK(missing_anchor_lines("nat-anchor \"jaild/*\" all\n", "") ==
        std::vector<std::string>{"rdr-anchor \"jaild/*\"", "anchor \"jaild/*\""});
  // Another tool's anchors are not jaild's.
  CHECK(missing_anchor_lines("nat-anchor \"bastille/*\" all\nrdr-anchor \"bastille/*\" all\n",
                             "anchor \"bastille/*\" all\n")
            .size() == 3);
  CHECK(missing_anchor_lines("", "").size() == 3);
}

TEST_CASE("pf: the default route's interface, from route -n get default", "[pf]") {
  CHECK(route_get_interface("   route to: default\n"
                            "destination: default\n"
                            "       mask: default\n"
                            "    gateway: 192.0.2.1\n"
                            "        fib: 0\n"
                            "  interface: vtnet0\n"
                            "      flags: <UP,GATEWAY,DONE,STATIC>\n") == "vtnet0");
  CHECK(route_get_interface("route: route has not been found\n").empty());
}
