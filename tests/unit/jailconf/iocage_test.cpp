// iocage's config.json into a jaild spec (lib/jailconf/iocage.h), with seed
// 000's DHCP jail j0 as iocage 1.1 writes it.
#include "lib/jailconf/iocage.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::jailconf;
using nlohmann::json;

namespace {

// `iocage create -n j0 -r latest vnet=on allow_raw_sockets=1 boot=on bpf=yes
// dhcp=on` (seed 000), the properties that matter here.
json seed_000_j0() {
  return json::parse(R"({
    "CONFIG_VERSION": "14", "host_hostuuid": "j0", "host_hostname": "j0",
    "release": "12.0-RELEASE", "vnet": "on", "interfaces": "vnet0:bridge0",
    "ip4_addr": "none", "ip6_addr": "none", "defaultrouter": "auto", "defaultrouter6": "auto",
    "dhcp": "on", "bpf": "yes", "boot": "on", "priority": "99", "depends": "none",
    "allow_raw_sockets": "1", "allow_mount": "0", "mount_devfs": "1", "devfs_ruleset": "4",
    "exec_start": "/bin/sh /etc/rc", "exec_stop": "/bin/sh /etc/rc.shutdown",
    "exec_prestart": "/usr/bin/true", "vnet0_mac": "none"})");
}

error refusal(const json& config, const std::string& file = "/iocage/jails/j0/config.json") {
  try {
    iocage_to_spec(config, file);
  } catch (const error& e) {
    return e;
  }
  FAIL("accepted");
  return error(errc::internal, "");
}

}  // namespace

TEST_CASE("iocage: seed 000's j0 takes its address by DHCP on bridge0", "[jailconf]") {
  REQUIRE(is_iocage_config(seed_000_j0()));
  CHECK_FALSE(is_iocage_config(json{{"name", "j0"}, {"path", "/j"}}));
  const auto j = iocage_to_spec(seed_000_j0(), "/iocage/jails/j0/config.json");
  const auto spec = model::spec_to_json(j.spec);
  CHECK(spec["name"] == "j0");
  CHECK(spec["path"] == "/iocage/jails/j0/root");
  CHECK(spec["hostname"] == "j0");
  CHECK(spec["boot"] == true);
  CHECK(spec["priority"] == 99);
  CHECK(spec["params"] == json{{"allow.raw_sockets", true}});
  CHECK(spec["mount"]["devfs"] == true);
  CHECK(spec["mount"]["devfs_ruleset"].is_null());  // jaild's own, with bpf
  CHECK(spec["exec"]["start"] == json::array({"/bin/sh /etc/rc"}));
  CHECK(spec["exec"]["prestart"] == json::array());
  REQUIRE(spec["vnet"]["interfaces"].size() == 1);
  const auto& itf = spec["vnet"]["interfaces"][0];
  CHECK(itf["bridge"] == "bridge0");
  CHECK(itf["ip4"] == json::array({"dhcp"}));
  CHECK(itf["defaultrouter"] == "");
  REQUIRE(j.warnings.size() == 1);
  CHECK(j.warnings[0].find("ifconfig_DEFAULT=\"SYNCDHCP\"") != std::string::npos);
}

TEST_CASE("iocage: ip4_addr and ip6_addr per interface, DHCP and ACCEPT_RTADV", "[jailconf]") {
  auto c = seed_000_j0();
  c["dhcp"] = "off";
  c["bpf"] = "no";
  c["interfaces"] = "vnet0:bridge0,vnet1:bridge1";
  c["ip4_addr"] = "vnet0|192.168.0.10/24,vnet1|DHCP";
  c["ip6_addr"] = "vnet0|2001:123:456:242::5/64,vnet1|ACCEPT_RTADV";
  c["defaultrouter"] = "192.168.0.1";
  c["defaultrouter6"] = "2001:123:456:242::1";
  const auto spec = model::spec_to_json(iocage_to_spec(c, "/iocage/jails/j0/config.json").spec);
  const auto& i = spec["vnet"]["interfaces"];
  REQUIRE(i.size() == 2);
  CHECK(i[0]["ip4"] == json::array({"192.168.0.10/24"}));
  CHECK(i[0]["ip6"] == json::array({"2001:123:456:242::5/64"}));
  CHECK(i[0]["defaultrouter"] == "192.168.0.1");
  CHECK(i[0]["defaultrouter6"] == "2001:123:456:242::1");
  CHECK(i[1]["bridge"] == "bridge1");
  CHECK(i[1]["ip4"] == json::array({"dhcp"}));
  CHECK(i[1]["ip6"] == json::array({"slaac"}));
  // iocage's own spelling without the interface is vnet0's.
  c["interfaces"] = "vnet0:bridge0";
  c["ip4_addr"] = "DHCP";
  c["ip6_addr"] = "none";
  c["defaultrouter"] = "none";
  c["defaultrouter6"] = "none";
  CHECK(model::spec_to_json(iocage_to_spec(c, "/iocage/jails/j0/config.json").spec)["vnet"]
                           ["interfaces"][0]["ip4"] == json::array({"dhcp"}));
}

TEST_CASE("iocage: a shared-IP jail keeps its interface in the address", "[jailconf]") {
  auto c = seed_000_j0();
  c["vnet"] = "off";
  c["dhcp"] = "off";
  c["ip4_addr"] = "em0|192.168.0.254/24";
  const auto spec = model::spec_to_json(iocage_to_spec(c, "/iocage/jails/j0/config.json").spec);
  CHECK(spec["ip4"] == json::array({"em0|192.168.0.254/24"}));
  CHECK(spec["vnet"].is_null());
}

TEST_CASE("iocage: what jaild cannot take is refused with the property", "[jailconf]") {
  auto c = seed_000_j0();
  c["vnet"] = "off";
  auto e = refusal(c);
  CHECK(e.code() == errc::invalid_value);
  CHECK(e.field() == "/dhcp");
  c = seed_000_j0();
  c["ip4_addr"] = "vnet3|10.0.0.2/24";
  e = refusal(c);
  CHECK(e.field() == "/ip4_addr");
  c = seed_000_j0();
  c["interfaces"] = "vnet0";
  CHECK(refusal(c).field() == "/interfaces");
  c = seed_000_j0();
  c["priority"] = "soon";
  CHECK(refusal(c).field() == "/priority");
  CHECK(refusal(seed_000_j0(), "").code() == errc::missing_field);
  c = seed_000_j0();
  c.erase("host_hostuuid");
  c["host_hostuuid"] = "";
  CHECK(refusal(c).field() == "/host_hostuuid");
  // The model's own validators still hold: a static address and DHCP together.
  c = seed_000_j0();
  c["dhcp"] = "off";
  c["ip4_addr"] = "vnet0|DHCP,vnet0|10.0.0.2/24";
  CHECK(refusal(c).code() == errc::invalid_value);
}
