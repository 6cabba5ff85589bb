// The jail's own rc.conf: which interfaces it configures by DHCP and SLAAC.
#include "lib/jailconf/rc_conf.h"

#include <catch2/catch.hpp>

using namespace jaild;
using namespace jaild::jailconf;

TEST_CASE("rc.conf: DHCP, SYNCDHCP and accept_rtadv per interface", "[jailconf]") {
  const auto rc = rc_conf_addressing(
      "# seed 000's habit\n"
      "hostname=\"j0\"\n"
      "ifconfig_epair0b=\"SYNCDHCP\"\n"
      "ifconfig_epair0b_ipv6=\"inet6 accept_rtadv\"\n"
      "  ifconfig_epair1b='inet 10.0.0.5/24'\n"
      "ifconfig_epair2b=DHCP # comment\n"
      "ifconfig_DEFAULT=\"WPA dhcp\"\n"
      "ifconfig_epair3b_ipv6=\"accept_rtadv\"\n"
      "ifconfig_bad-name=\"DHCP\"\n"
      "ifconfig_epair4b=\"DHCP\"\nifconfig_epair4b=\"up\"\n");
  CHECK(rc.at("epair0b").dhcp);
  CHECK(rc.at("epair0b").slaac);
  CHECK_FALSE(rc.at("epair1b").dhcp);
  CHECK(rc.at("epair2b").dhcp);
  CHECK(rc.at("DEFAULT").dhcp);
  CHECK_FALSE(rc.at("epair3b").slaac);  // no inet6: rc.d/netif would not take it as IPv6
  CHECK_FALSE(rc.count("bad-name"));
  CHECK_FALSE(rc.at("epair4b").dhcp);   // the last assignment wins, as in sh
  CHECK(rc_conf_addressing("").empty());
}

TEST_CASE("rc.conf: only interfaces without addresses of the family take the keyword",
          "[jailconf]") {
  imported_jail j;
  j.spec = model::spec_from_json(nlohmann::json::parse(R"({"name":"j0","path":"/j/j0",
      "vnet":{"interfaces":[{"bridge":"b0"},{"bridge":"b1","ip4":["10.0.0.5/24"]},{"bridge":"b2"}]}})"));
  j.vnet_names = {"epair0b", "epair1b", "epair2b"};
  apply_rc_conf(j,
                "ifconfig_epair0b=\"SYNCDHCP\"\nifconfig_epair1b=\"DHCP\"\n"
                "ifconfig_DEFAULT=\"DHCP\"\n",
                "/j/j0/etc/rc.conf");
  const auto& i = j.spec.vnet->interfaces;
  CHECK(i[0].ip4 == std::vector<std::string>{"dhcp"});
  CHECK(i[1].ip4 == std::vector<std::string>{"10.0.0.5/24"});  // jail.conf's own address stays
  CHECK(i[2].ip4 == std::vector<std::string>{"dhcp"});         // by ifconfig_DEFAULT
  REQUIRE(j.warnings.size() == 2);
  CHECK(j.warnings[0].rfind("/j/j0/etc/rc.conf: jail 'j0'", 0) == 0);
  // Names that do not match the interfaces: nothing changes.
  imported_jail k = j;
  k.vnet_names.clear();
  k.spec.vnet->interfaces[0].ip4.clear();
  apply_rc_conf(k, "ifconfig_epair0b=\"DHCP\"\n", "/x");
  CHECK(k.spec.vnet->interfaces[0].ip4.empty());
}
