#include "lib/host/linux/isolation.h"

#include <linux/capability.h>

#include <catch2/catch.hpp>

using namespace jaild;
using namespace jaild::host::linux_host;

namespace {
bool drops(const model::jail_spec& s, int cap) {
  return (dropped_capabilities(s) >> cap) & 1;
}
}  // namespace

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

TEST_CASE("isolation: jail root loses what FreeBSD's jail root lacks", "[host_linux]") {
  model::jail_spec s;
  for (int cap : {CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_MKNOD, CAP_SYS_TIME, CAP_SYS_BOOT,
                  CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF})
    CHECK(drops(s, cap));
  for (int cap : {CAP_CHOWN, CAP_SETUID, CAP_SETGID, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
                  CAP_FOWNER})
    CHECK_FALSE(drops(s, cap));
  s.params["allow.mount"] = true;
  s.params["allow.raw_sockets"] = "1";
  CHECK_FALSE(drops(s, CAP_SYS_ADMIN));
  CHECK_FALSE(drops(s, CAP_NET_RAW));
  CHECK(drops(s, CAP_NET_ADMIN));
  model::jail_spec v;
  v.vnet = model::vnet_spec{};
  CHECK_FALSE(drops(v, CAP_NET_ADMIN));  // its own stack to configure
  CHECK_FALSE(drops(v, CAP_NET_RAW));
  CHECK(capability_list(0b1010, 40) == std::vector<int>{1, 3});
  CHECK(capability_list(1ull << 40, 39).empty());
}
