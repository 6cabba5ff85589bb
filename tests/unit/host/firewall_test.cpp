// What a jail's NAT and ports are, from its context (both platforms).
#include "lib/host/firewall.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::host;

namespace {

resolved_interface on(const std::string& bridge, std::vector<std::string> ip4,
                      std::vector<std::string> ip6, std::optional<std::string> nat) {
  resolved_interface i;
  i.host_end = "e0a_1";
  i.bridge = bridge;
  i.ip4 = std::move(ip4);
  i.ip6 = std::move(ip6);
  if (!i.ip4.empty()) i.subnet4 = "10.1.0.0/24";
  i.nat = std::move(nat);
  return i;
}

}  // namespace

TEST_CASE("firewall: a VNET jail's NAT, ports and segments", "[firewall]") {
  jail_context ctx;
  ctx.spec.name = "web";
  ctx.spec.vnet = model::vnet_spec{};
  ctx.spec.ports = {"tcp/8080:80", "udp/[::]:53:53"};
  ctx.interfaces = {on("br1", {"10.1.0.5/24", "10.1.0.6/24"}, {"fd01::5/64"}, std::string()),
                    on("br2", {"10.2.0.5/24"}, {}, std::string("eth9"))};
  ctx.interfaces[1].subnet4 = "10.2.0.0/24";
  int asked = 0;
  auto fw = firewall_of(ctx, [&] {
    ++asked;
    return std::string("uplink0");
  });
  CHECK(asked == 1);
  CHECK(fw.nat == std::vector<jail_firewall::masquerade>{
                      {"10.1.0.5", "uplink0"}, {"10.1.0.6", "uplink0"}, {"10.2.0.5", "eth9"}});
  CHECK(fw.address4 == "10.1.0.5");
  CHECK(fw.address6 == "fd01::5");
  CHECK(fw.segments == std::vector<jail_firewall::segment>{
                           {"br1", "10.1.0.0/24", false}, {"br1", "fd01::/64", true},
                           {"br2", "10.2.0.0/24", false}});
  REQUIRE(fw.ports.size() == 2);
  CHECK(fw.ports[1].v6);
  CHECK(fw.forwarded);
  CHECK(fw.needs_forwarding4());
  CHECK(fw.needs_forwarding6());

  // nat through the default route, and there is none.
  try {
    firewall_of(ctx, [] { return std::string(); });
    FAIL("accepted");
  } catch (const error& e) {
    CHECK(e.code() == errc::prerequisite_missing);
  }
}

TEST_CASE("firewall: a shared-IP jail's ports go to its own address", "[firewall]") {
  jail_context ctx;
  ctx.spec.name = "db";
  ctx.spec.ip4 = {"em0|192.0.2.20/24"};
  ctx.spec.ports = {"tcp/5432:5432"};
  auto fw = firewall_of(ctx, [] {
    FAIL("no nat: the default route is not asked for");
    return std::string();
  });
  CHECK(fw.address4 == "192.0.2.20");
  CHECK(fw.address6.empty());
  CHECK(fw.nat.empty());
  CHECK(fw.segments.empty());
  CHECK_FALSE(fw.forwarded);
  CHECK_FALSE(fw.needs_forwarding4());
  ctx.spec.ports.clear();
  CHECK(firewall_of(ctx, [] { return std::string(); }).empty());
  ctx.spec.ports = {"tcp/x"};
  try {
    firewall_of(ctx, [] { return std::string(); });
    FAIL("accepted");
  } catch (const error& e) {
    CHECK(e.field() == "/ports/0");
  }
}
