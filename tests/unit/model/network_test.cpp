#include "lib/model/network.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild::model;
using nlohmann::json;

TEST_CASE("network: subnets walk their addresses", "[model]") {
  std::string why;
  auto s = parse_subnet("10.20.0.0/24", false, &why);
  REQUIRE(s);
  CHECK(s->size() == 256);
  CHECK(*s->address(0) == "10.20.0.0");
  CHECK(*s->address(1) == "10.20.0.1");
  CHECK(*s->address(255) == "10.20.0.255");
  CHECK_FALSE(s->address(256));
  CHECK(s->contains("10.20.0.77"));
  CHECK_FALSE(s->contains("10.20.1.1"));
  auto big = parse_subnet("10.0.0.0/23", false, &why);
  CHECK(*big->address(256) == "10.0.1.0");
  auto v6 = parse_subnet("2001:db8:1::/64", true, &why);
  REQUIRE(v6);
  CHECK(*v6->address(1) == "2001:db8:1::1");
  CHECK(*v6->address(300) == "2001:db8:1::12c");
  CHECK(v6->contains("2001:db8:1::abcd"));
  CHECK_FALSE(v6->contains("2001:db8:2::1"));
  CHECK_FALSE(parse_subnet("10.20.0.1/24", false, &why));  // host bits
  CHECK(why.find("host bits") != std::string::npos);
  CHECK_FALSE(parse_subnet("10.20.0.0/31", false, &why));  // no room
  CHECK_FALSE(parse_subnet("10.20.0.0", false, &why));
  CHECK_FALSE(parse_subnet("10.20.0.0/33", false, &why));
}

TEST_CASE("network: specs validate and default the gateway", "[model]") {
  auto n = network_from_json(json::parse(R"({"name":"lan","bridge":"jailnet0","ip4":"10.20.0.0/24"})"));
  CHECK(n.gateway4 == "10.20.0.1");
  CHECK(network_from_json(network_to_json(n)) == n);
  n = network_from_json(json::parse(
      R"({"name":"lan","bridge":"br1","ip4":"10.20.0.0/24","gateway4":"10.20.0.254","ip6":"2001:db8:1::/64"})"));
  CHECK(n.gateway4 == "10.20.0.254");
  CHECK(n.gateway6 == "2001:db8:1::1");

  struct bad {
    const char* json;
    const char* field;
  };
  for (const auto& b : std::vector<bad>{
           {R"({"name":"lan","bridge":"br1","ip4":"10.20.0.0/24","gateway4":"10.30.0.1"})", "/gateway4"},
           {R"({"name":"lan","bridge":"br1","ip4":"10.20.0.0/24","gateway4":"10.20.0.255"})", "/gateway4"},
           {R"({"name":"lan","bridge":"br1","ip4":"10.20.0.9/24"})", "/ip4"},
           {R"({"name":"lan","bridge":"br1"})", "/ip4"},
           {R"({"name":"lan","ip4":"10.20.0.0/24"})", "/bridge"},
           {R"({"name":"la.n","bridge":"br1","ip4":"10.20.0.0/24"})", "/name"},
           {R"({"name":"lan","bridge":"br1","ip4":"10.20.0.0/24","vlan":5})", "/vlan"},
           {R"({"name":"lan","bridge":"a-very-long-bridge","ip4":"10.20.0.0/24"})", "/bridge"},
           {R"({"name":"lan","bridge":"br1","gateway4":"10.20.0.1"})", "/gateway4"}}) {
    INFO(b.json);
    try {
      network_from_json(json::parse(b.json));
      FAIL("accepted");
    } catch (const jaild::error& e) {
      CHECK(e.field() == b.field);
    }
  }
}

TEST_CASE("network: dhcp is a switch of an IPv4 network", "[model]") {
  auto n = network_from_json(
      json::parse(R"({"name":"lan","bridge":"jailnet0","ip4":"10.20.0.0/24","dhcp":true})"));
  CHECK(n.dhcp);
  CHECK(network_to_json(n)["dhcp"] == true);
  CHECK(network_from_json(network_to_json(n)) == n);
  CHECK_FALSE(network_from_json(
                  json::parse(R"({"name":"lan","bridge":"jailnet0","ip4":"10.20.0.0/24"})"))
                  .dhcp);
  try {
    network_from_json(json::parse(R"({"name":"v6","bridge":"b6","ip6":"fd00::/64","dhcp":true})"));
    FAIL("a network without ip4 serves no DHCP");
  } catch (const jaild::error& e) {
    CHECK(e.code() == jaild::errc::invalid_value);
    CHECK(e.field() == "/dhcp");
  }
  try {
    network_from_json(
        json::parse(R"({"name":"lan","bridge":"b0","ip4":"10.20.0.0/24","dhcp":"yes"})"));
    FAIL("dhcp is a boolean");
  } catch (const jaild::error& e) {
    CHECK(e.code() == jaild::errc::invalid_type);
    CHECK(e.field() == "/dhcp");
  }
}
