// A jail's confinement widened on purpose through its spec (confinement.*
// and jail(8)'s allow.* parameters), read from inside the jail.
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "lib/host/linux/confinement.h"
#include "tests/system/system_support.h"

using namespace jaild;
using namespace jaild::systest;

namespace {}  // namespace

TEST_CASE("confinement: a spec widens it on purpose, with a session keyring of the jail's own",
          "[system]") {
  require_prerequisites();
  const auto before = count_host_objects();
  {
    rootfs root("unconf");
    harness h;
    auto ctx = make_context("unconf", root.path());
    ctx.spec.confinement.seccomp = false;
    ctx.spec.confinement.no_new_privs = false;
    ctx.spec.confinement.capabilities = {"SYS_PTRACE"};
    ctx.spec.params["allow.raw_sockets"] = true;
    auto& a = h.adapter();
    auto j = start(h, ctx);
    auto v = key_value_lines(exec_in(a, ctx, j, {"/bin/probe"}).output);
    INFO(nlohmann::json(v).dump());
    const auto want = host::linux_host::confinement_for(ctx.spec).capabilities;
    CHECK(hex_value(v["capeff"]) == want);
    CHECK((want >> 19 & 1) == 1);  // CAP_SYS_PTRACE, asked for
    CHECK((want >> 13 & 1) == 1);  // CAP_NET_RAW, from allow.raw_sockets
    CHECK(v["raw_icmp"] == "ok");
    CHECK(v["seccomp"] == "0");
    CHECK(v["nonewprivs"] == "0");
    // A keyring of the jail's own, not the host's (this process's) session keyring.
    const long host_session = ::syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
    REQUIRE(v["session_keyring"].rfind("errno", 0) != 0);
    CHECK(std::stol(v["session_keyring"]) != host_session);
    a.stop_jail(ctx, j, h.sinks());
    h.destroy_all();
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}
