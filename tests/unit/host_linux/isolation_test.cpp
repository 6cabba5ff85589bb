#include "lib/host/linux/isolation.h"

#include <catch2/catch.hpp>

using namespace jaild;
using namespace jaild::host::linux_host;

TEST_CASE("isolation: which jails get a network stack of their own", "[host_linux]") {
  model::jail_spec s;
  CHECK(needs_own_netns(s));  // no address: an empty stack, as ip4=disable
  s.ip4 = {"em0|192.0.2.5/24"};
  CHECK_FALSE(needs_own_netns(s));  // shared-IP: the host's stack
  s.ip4.clear();
  s.params["ip4"] = "inherit";
  CHECK_FALSE(needs_own_netns(s));
  s.params.erase("ip4");
  s.vnet = model::vnet_spec{};
  CHECK(needs_own_netns(s));
}

TEST_CASE("isolation: jail(8)'s boolean parameters", "[host_linux]") {
  nlohmann::json p = {{"a", true}, {"b", 1}, {"c", "yes"}, {"d", "0"}, {"e", false}};
  CHECK(jail_param_true(p, "a"));
  CHECK(jail_param_true(p, "b"));
  CHECK(jail_param_true(p, "c"));
  CHECK_FALSE(jail_param_true(p, "d"));
  CHECK_FALSE(jail_param_true(p, "e"));
  CHECK_FALSE(jail_param_true(p, "missing"));
}
