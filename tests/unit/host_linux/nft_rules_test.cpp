// The nftables document of a jail, against golden text, and the parsing of
// what nft and /proc/net/route say.
#include <catch2/catch.hpp>

#include "lib/host/linux/nft_rules.h"
#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::host::linux_host;
using json = nlohmann::json;
using jaild::host::jail_firewall;

namespace {

model::published_port port(const std::string& text) {
  auto p = model::parse_port(text, nullptr);
  REQUIRE(p);
  return *p;
}

// One command per line, so that a failing comparison shows the rule at fault.
std::string lines(const json& doc) {
  std::string out;
  for (const auto& c : doc.at("nftables")) out += c.dump() + "\n";
  return out;
}

}  // namespace

TEST_CASE("nft rules: table names are this jaild's own", "[nft]") {
  // The instance begins with the jaild's tag (store::instance_tag): the
  // table of one jaild's jail never has another jaild's prefix.
  CHECK(firewall_table("0a1b2k7") == "jaild_0a1b2k7");
  CHECK(firewall_table_prefix("0a1b2") == "jaild_0a1b2");
  CHECK(firewall_table("0a1b2k7").rfind(firewall_table_prefix("0a1b2"), 0) == 0);
  CHECK(firewall_table("0a1b3k7").rfind(firewall_table_prefix("0a1b2"), 0) != 0);
  CHECK(firewall_table_prefix("") == "jaild_");
}

TEST_CASE("nft rules: NAT, ports and hairpin of a VNET jail, golden", "[nft]") {
  jail_firewall fw;
  fw.forwarded = true;
  fw.nat = {{"10.20.0.2", "eth0"}};
  fw.address4 = "10.20.0.2";
  fw.address6 = "fd00:20::2";
  fw.segments = {{"br0", "10.20.0.0/24", false}, {"br0", "fd00:20::/64", true}};
  fw.ports = {port("tcp/8080:80"), port("udp/198.18.0.1:5353:53"), port("tcp/[::]:8443:443")};
  const std::string golden = R"({"add":{"table":{"family":"inet","name":"jaild_0a1b2k7"}}}
{"flush":{"table":{"family":"inet","name":"jaild_0a1b2k7"}}}
{"add":{"chain":{"family":"inet","hook":"prerouting","name":"prerouting","policy":"accept","prio":-100,"table":"jaild_0a1b2k7","type":"nat"}}}
{"add":{"chain":{"family":"inet","hook":"output","name":"output","policy":"accept","prio":-100,"table":"jaild_0a1b2k7","type":"nat"}}}
{"add":{"chain":{"family":"inet","hook":"postrouting","name":"postrouting","policy":"accept","prio":100,"table":"jaild_0a1b2k7","type":"nat"}}}
{"add":{"rule":{"chain":"postrouting","expr":[{"match":{"left":{"payload":{"field":"saddr","protocol":"ip"}},"op":"==","right":"10.20.0.2"}},{"match":{"left":{"meta":{"key":"oifname"}},"op":"==","right":"eth0"}},{"masquerade":null}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"prerouting","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv4"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"dport","protocol":"tcp"}},"op":"==","right":8080}},{"dnat":{"addr":"10.20.0.2","family":"ip","port":80}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"output","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv4"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"!=","right":{"prefix":{"addr":"127.0.0.0","len":8}}}},{"match":{"left":{"payload":{"field":"dport","protocol":"tcp"}},"op":"==","right":8080}},{"dnat":{"addr":"10.20.0.2","family":"ip","port":80}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"postrouting","expr":[{"match":{"left":{"ct":{"key":"status"}},"op":"in","right":"dnat"}},{"match":{"left":{"meta":{"key":"l4proto"}},"op":"==","right":"tcp"}},{"match":{"left":{"payload":{"field":"saddr","protocol":"ip"}},"op":"==","right":{"prefix":{"addr":"10.20.0.0","len":24}}}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"==","right":"10.20.0.2"}},{"match":{"left":{"payload":{"field":"dport","protocol":"th"}},"op":"==","right":80}},{"masquerade":null}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"prerouting","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv6"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"dport","protocol":"tcp"}},"op":"==","right":8080}},{"dnat":{"addr":"fd00:20::2","family":"ip6","port":80}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"output","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv6"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip6"}},"op":"!=","right":"::1"}},{"match":{"left":{"payload":{"field":"dport","protocol":"tcp"}},"op":"==","right":8080}},{"dnat":{"addr":"fd00:20::2","family":"ip6","port":80}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"postrouting","expr":[{"match":{"left":{"ct":{"key":"status"}},"op":"in","right":"dnat"}},{"match":{"left":{"meta":{"key":"l4proto"}},"op":"==","right":"tcp"}},{"match":{"left":{"payload":{"field":"saddr","protocol":"ip6"}},"op":"==","right":{"prefix":{"addr":"fd00:20::","len":64}}}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip6"}},"op":"==","right":"fd00:20::2"}},{"match":{"left":{"payload":{"field":"dport","protocol":"th"}},"op":"==","right":80}},{"masquerade":null}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"prerouting","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv4"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"==","right":"198.18.0.1"}},{"match":{"left":{"payload":{"field":"dport","protocol":"udp"}},"op":"==","right":5353}},{"dnat":{"addr":"10.20.0.2","family":"ip","port":53}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"output","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv4"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"==","right":"198.18.0.1"}},{"match":{"left":{"payload":{"field":"dport","protocol":"udp"}},"op":"==","right":5353}},{"dnat":{"addr":"10.20.0.2","family":"ip","port":53}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"postrouting","expr":[{"match":{"left":{"ct":{"key":"status"}},"op":"in","right":"dnat"}},{"match":{"left":{"meta":{"key":"l4proto"}},"op":"==","right":"udp"}},{"match":{"left":{"payload":{"field":"saddr","protocol":"ip"}},"op":"==","right":{"prefix":{"addr":"10.20.0.0","len":24}}}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"==","right":"10.20.0.2"}},{"match":{"left":{"payload":{"field":"dport","protocol":"th"}},"op":"==","right":53}},{"masquerade":null}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"prerouting","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv6"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"dport","protocol":"tcp"}},"op":"==","right":8443}},{"dnat":{"addr":"fd00:20::2","family":"ip6","port":443}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"output","expr":[{"match":{"left":{"meta":{"key":"nfproto"}},"op":"==","right":"ipv6"}},{"match":{"left":{"fib":{"flags":["daddr"],"result":"type"}},"op":"==","right":"local"}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip6"}},"op":"!=","right":"::1"}},{"match":{"left":{"payload":{"field":"dport","protocol":"tcp"}},"op":"==","right":8443}},{"dnat":{"addr":"fd00:20::2","family":"ip6","port":443}}],"family":"inet","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"postrouting","expr":[{"match":{"left":{"ct":{"key":"status"}},"op":"in","right":"dnat"}},{"match":{"left":{"meta":{"key":"l4proto"}},"op":"==","right":"tcp"}},{"match":{"left":{"payload":{"field":"saddr","protocol":"ip6"}},"op":"==","right":{"prefix":{"addr":"fd00:20::","len":64}}}},{"match":{"left":{"payload":{"field":"daddr","protocol":"ip6"}},"op":"==","right":"fd00:20::2"}},{"match":{"left":{"payload":{"field":"dport","protocol":"th"}},"op":"==","right":443}},{"masquerade":null}],"family":"inet","table":"jaild_0a1b2k7"}}}
)";
  CHECK(lines(firewall_commands("jaild_0a1b2k7", fw)) == golden);
  CHECK(fw.needs_forwarding4());
  CHECK(fw.needs_forwarding6());
}

TEST_CASE("nft rules: a shared-IP jail's ports go to its host address, without forwarding",
          "[nft]") {
  jail_firewall fw;
  fw.address4 = "127.0.0.2";
  fw.ports = {port("tcp/8080:80")};
  const auto doc = firewall_commands("jaild_0a1b2c3d_1", fw);
  // Table, flush, three chains, and the DNAT in prerouting and output: no
  // IPv6 rule (no IPv6 address), no masquerade, no hairpin.
  REQUIRE(doc["nftables"].size() == 7);
  CHECK(doc["nftables"][5]["add"]["rule"]["expr"].back() ==
        json::parse(R"({"dnat":{"addr":"127.0.0.2","family":"ip","port":80}})"));
  CHECK_FALSE(fw.needs_forwarding4());
  CHECK_FALSE(fw.needs_forwarding6());
  fw.ports.clear();
  CHECK(fw.empty());
}

TEST_CASE("nft rules: a port of a family the jail has no address of is refused", "[nft]") {
  jail_firewall fw;
  fw.forwarded = true;
  fw.address4 = "10.20.0.2";
  fw.ports = {port("tcp/8080:80"), port("tcp/[::]:8443:443")};
  try {
    firewall_commands("jaild_0a1b2c3d_1", fw);
    FAIL("accepted");
  } catch (const error& e) {
    CHECK(e.code() == errc::invalid_value);
    CHECK(e.field() == "/ports/1");
  }
  // Only NAT: forwarding for IPv4 alone.
  fw.ports.clear();
  fw.nat = {{"10.20.0.2", "eth0"}};
  CHECK(fw.needs_forwarding4());
  CHECK_FALSE(fw.needs_forwarding6());
}

TEST_CASE("nft rules: deleting a table, and finding this jaild's tables", "[nft]") {
  CHECK(delete_table_command("jaild_0a1b2k7").dump() ==
        R"({"nftables":[{"delete":{"table":{"family":"inet","name":"jaild_0a1b2k7"}}}]})");
  const std::string listed =
      R"({"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},)"
      R"( {"table": {"family": "inet", "name": "jaild_0a1b2k7", "handle": 1}},)"
      R"( {"table": {"family": "ip", "name": "jaild_0a1b2k8", "handle": 2}},)"
      R"( {"table": {"family": "inet", "name": "jaild_0a1b31", "handle": 3}},)"
      R"( {"table": {"family": "inet", "name": "filter", "handle": 4}},)"
      R"( {"table": {"family": "inet", "name": "jaild_0a1b22", "handle": 5}}]})";
  // Of this jaild's tag only, inet only (another jaild's tag 0a1b3 is not this one's).
  CHECK(tables_of(listed, firewall_table_prefix("0a1b2")) ==
        std::vector<std::string>{"jaild_0a1b2k7", "jaild_0a1b22"});
  CHECK(tables_of(R"({"nftables":[]})", "jaild_").empty());
  CHECK_THROWS_AS(tables_of("Error: syntax error", "jaild_"), std::invalid_argument);
  CHECK_THROWS_AS(tables_of(R"({"other":1})", "jaild_"), std::invalid_argument);
}

TEST_CASE("nft rules: the uplink of the default route, from /proc/net/route", "[nft]") {
  const std::string route =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "br0\t00140A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "uplink9\t00000000\t010012C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  CHECK(default_route_interface(route) == "uplink9");
  CHECK(default_route_interface(route.substr(0, route.find("uplink9"))).empty());
  // A default route that is down (no RTF_UP) is not one.
  CHECK(default_route_interface(
            "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
            "eth7\t00000000\t010012C6\t0002\t0\t0\t0\t00000000\n")
            .empty());
  CHECK(default_route_interface("").empty());
}

TEST_CASE("nft rules: a jail's VLAN ports kept among their VLAN by the bridge hooks, golden",
          "[nft]") {
  const auto doc = vlan_commands("jaild_0a1b2k7", {{"e0a_0a1b2k7", 5}, {"e1a_0a1b2k7", 4094}});
  const std::string golden = R"({"add":{"table":{"family":"bridge","name":"jaild_0a1b2k7"}}}
{"flush":{"table":{"family":"bridge","name":"jaild_0a1b2k7"}}}
{"add":{"chain":{"family":"bridge","hook":"forward","name":"forward","policy":"accept","prio":0,"table":"jaild_0a1b2k7","type":"filter"}}}
{"add":{"chain":{"family":"bridge","hook":"input","name":"input","policy":"accept","prio":0,"table":"jaild_0a1b2k7","type":"filter"}}}
{"add":{"chain":{"family":"bridge","hook":"output","name":"output","policy":"accept","prio":0,"table":"jaild_0a1b2k7","type":"filter"}}}
{"add":{"rule":{"chain":"forward","expr":[{"match":{"left":{"meta":{"key":"iifname"}},"op":"==","right":"e0a_0a1b2k7"}},{"match":{"left":{"meta":{"key":"oifgroup"}},"op":"!=","right":5}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"forward","expr":[{"match":{"left":{"meta":{"key":"oifname"}},"op":"==","right":"e0a_0a1b2k7"}},{"match":{"left":{"meta":{"key":"iifgroup"}},"op":"!=","right":5}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"input","expr":[{"match":{"left":{"meta":{"key":"iifname"}},"op":"==","right":"e0a_0a1b2k7"}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"output","expr":[{"match":{"left":{"meta":{"key":"oifname"}},"op":"==","right":"e0a_0a1b2k7"}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"forward","expr":[{"match":{"left":{"meta":{"key":"iifname"}},"op":"==","right":"e1a_0a1b2k7"}},{"match":{"left":{"meta":{"key":"oifgroup"}},"op":"!=","right":4094}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"forward","expr":[{"match":{"left":{"meta":{"key":"oifname"}},"op":"==","right":"e1a_0a1b2k7"}},{"match":{"left":{"meta":{"key":"iifgroup"}},"op":"!=","right":4094}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"input","expr":[{"match":{"left":{"meta":{"key":"iifname"}},"op":"==","right":"e1a_0a1b2k7"}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
{"add":{"rule":{"chain":"output","expr":[{"match":{"left":{"meta":{"key":"oifname"}},"op":"==","right":"e1a_0a1b2k7"}},{"drop":null}],"family":"bridge","table":"jaild_0a1b2k7"}}}
)";
  CHECK(lines(doc) == golden);
  CHECK(delete_table_command("jaild_0a1b2k7", "bridge").dump() ==
        R"({"nftables":[{"delete":{"table":{"family":"bridge","name":"jaild_0a1b2k7"}}}]})");
  const std::string listed =
      R"({"nftables": [{"table": {"family": "inet", "name": "jaild_0a1b2k7", "handle": 1}},)"
      R"( {"table": {"family": "bridge", "name": "jaild_0a1b2k7", "handle": 2}}]})";
  CHECK(tables_of(listed, "jaild_0a1b2", "bridge") == std::vector<std::string>{"jaild_0a1b2k7"});
}
