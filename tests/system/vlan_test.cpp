// VLANs on a Linux bridge (this kernel has neither 8021q nor the bridge's
// own VLAN filtering: jaild keeps a VLAN's ports among themselves with the
// bridge's nftables hooks, nft_rules.h): jails on one VLAN reach each other
// and nobody else on the same bridge. All in a network namespace of the
// test's own; addresses only inside the jails' namespaces, on a bridge jaild
// makes with no address: nothing is routed anywhere.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <map>
#include <optional>

#include "tests/support/process.h"
#include "tests/system/own_netns.h"
#include "tests/system/scenario.h"

using namespace jaild;
using namespace jaild::systest;
using json = nlohmann::json;

namespace {

// The ports of a bridge with their interface groups (ip -j: sysfs would
// show the namespace it was mounted in, not this one).
std::map<std::string, std::string> ports_of(const std::string& bridge) {
  auto r = run({"ip", "-d", "-j", "link", "show", "master", bridge});
  std::map<std::string, std::string> out;
  const auto doc = json::parse(r.output, nullptr, false);
  if (!doc.is_array()) return {{"(no answer)", r.output}};
  for (const auto& l : doc) out[l.value("ifname", "")] = l.value("group", "?");
  return out;
}

// jaild's bridge-family tables in this namespace.
std::vector<std::string> bridge_tables() {
  auto r = run({"nft", "-j", "list", "tables", "bridge"});
  std::vector<std::string> out;
  const auto doc = json::parse(r.output, nullptr, false);
  if (!doc.is_object() || !doc.contains("nftables")) return {"(no answer: " + r.output + ")"};
  for (const auto& item : doc["nftables"])
    if (item.contains("table")) out.push_back(item["table"]["name"]);
  return out;
}

}  // namespace

TEST_CASE("vlan: two jails on VLAN 5 reach each other, VLAN 6 and the untagged jail on the same "
          "bridge do not",
          "[system][vlan]") {
  require_prerequisites();
  if (run({"nft", "--version"}).status != 0) FAIL("nft is not installed (tests/deps test)");
  own_netns net;
  const auto before = count_host_objects();
  {
    scenario s;
    auto& d = s.daemon();
    const std::string bridge = prefix() + "vl";
    REQUIRE(run({"ip", "link", "show", bridge}).status != 0);
    auto on = [&](int host, std::optional<int> vlan) {
      json i = {{"bridge", bridge}, {"ip4", {"10.79.0." + std::to_string(host) + "/24"}}};
      if (vlan) i["vlan"] = *vlan;
      return json{{"interfaces", {i}}};
    };
    // The untagged jail first: its port is on the bridge before filtering is on.
    s.define("plain", {{"vnet", on(5, std::nullopt)}});
    s.define("v5a", {{"vnet", on(2, 5)}});
    s.define("v5b", {{"vnet", on(3, 5)}});
    s.define("v6", {{"vnet", on(4, 6)}});
    for (const char* j : {"plain", "v5a", "v5b", "v6"}) {
      auto r = d.curl("POST", "/v1/jails/" + s.name(j) + "/start");
      INFO(j << ": " << r.body);
      REQUIRE(r.status == 200);
    }
    CHECK(s.jail("v5a")["spec"]["vnet"]["interfaces"][0]["vlan"] == 5);
    CHECK(s.jail("plain")["spec"]["vnet"]["interfaces"][0]["vlan"].is_null());
    // Each VLAN port carries its VLAN as its group; the untagged one none.
    std::map<std::string, int> ports_per_group;
    for (const auto& [port, group] : ports_of(bridge)) ports_per_group[group]++;
    CHECK(ports_per_group == std::map<std::string, int>{{"default", 1}, {"5", 2}, {"6", 1}});
    // One bridge table per jail with a VLAN, named by its instance (with jaild's tag).
    const auto tables = bridge_tables();
    CHECK(tables.size() == 3);
    for (const auto& t : tables) CHECK(t.rfind("jaild_" + s.tag(), 0) == 0);
    CHECK(s.last_start("v5a").dump().find("\"step\":\"vlan.apply\"") != std::string::npos);
    auto ping = [&](const std::string& from, const std::string& to, int count) {
      auto r = d.curl("POST", "/v1/jails/" + s.name(from) + "/exec",
                      json{{"argv", {"ping", "-c", std::to_string(count), "-W", "1",
                                     "10.79.0." + to}}}.dump());
      REQUIRE(r.status == 200);
      return r.json()["exit_code"].get<int>();
    };
    CHECK(ping("v5a", "3", 3) == 0);
    CHECK(ping("v5b", "2", 3) == 0);
    CHECK(ping("v5a", "4", 2) != 0);    // VLAN 6
    CHECK(ping("v6", "3", 2) != 0);
    CHECK(ping("v5a", "5", 2) != 0);    // the untagged jail
    CHECK(ping("plain", "2", 2) != 0);
    CHECK(ping("plain", "4", 2) != 0);
    for (const char* j : {"plain", "v5a", "v5b", "v6"})
      CHECK(d.curl("POST", "/v1/jails/" + s.name(j) + "/stop").status == 200);
    CHECK(run({"ip", "link", "show", bridge}).status != 0);  // jaild's; it went with its last jail
    CHECK(bridge_tables().empty());
    CHECK(run({"nft", "list", "ruleset"}).output.find("jaild") == std::string::npos);
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}
