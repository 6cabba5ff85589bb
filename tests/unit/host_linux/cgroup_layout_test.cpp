#include <catch2/catch.hpp>

#include "lib/host/linux/cgroup.h"

using namespace jaild::host::linux_host;

namespace {

const char* hybrid_mountinfo =
    "30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
    "31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
    "32 30 0:28 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n"
    "33 30 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
    "34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    "36 30 0:32 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
const char* hybrid_self =
    "8:pids:/\n4:memory:/process_api/c3c5\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

}  // namespace

TEST_CASE("cgroup layout: v1 hierarchies below jaild's own cgroup", "[host_linux]") {
  auto l = cgroup_layout_from(hybrid_self, hybrid_mountinfo, "hugetlb\n");
  REQUIRE(l);
  CHECK(l->version == cgroup_version::v1);
  CHECK(l->own.at("memory") == "/sys/fs/cgroup/memory/process_api/c3c5");
  CHECK(l->own.at("pids") == "/sys/fs/cgroup/pids");
  CHECK(l->own.at("cpu") == "/sys/fs/cgroup/cpu");
  cgroups c(*l);
  CHECK(c.dir("memory", "web.7f") == "/sys/fs/cgroup/memory/process_api/c3c5/jaild/web.7f");
  CHECK(c.jail_dirs("web.7f").size() == 5);
  // The unified hierarchy beside them: where a shared-IP jail's socket hooks go.
  REQUIRE(l->unified);
  CHECK(*l->unified == "/sys/fs/cgroup/unified");
  CHECK(c.socket_dir("web.7f") == fs::path("/sys/fs/cgroup/unified/jaild/web.7f"));
}

TEST_CASE("cgroup layout: cpu and cpuacct mounted together share a directory", "[host_linux]") {
  const char* mountinfo =
      "31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "33 30 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
      "34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
  const char* self = "5:pids:/d\n4:memory:/d\n3:cpuset:/d\n2:cpu,cpuacct:/d\n0::/\n";
  auto l = cgroup_layout_from(self, mountinfo, "");
  REQUIRE(l);
  cgroups c(*l);
  CHECK(c.jail_dirs("x.1").size() == 4);
  CHECK(c.dir("cpu", "x.1") == c.dir("cpuacct", "x.1"));
  CHECK(c.dir("pids", "x.1") == "/sys/fs/cgroup/pids/d/jaild/x.1");
  // No unified hierarchy mounted: no socket directory.
  CHECK_FALSE(l->unified);
  CHECK_FALSE(c.socket_dir("x.1"));
}

TEST_CASE("cgroup layout: v2 when the unified hierarchy has the memory controller",
          "[host_linux]") {
  const char* mountinfo = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
  auto l = cgroup_layout_from("0::/system.slice/jaild.service\n", mountinfo,
                              "cpuset cpu io memory pids\n");
  REQUIRE(l);
  CHECK(l->version == cgroup_version::v2);
  CHECK(l->own.at("") == "/sys/fs/cgroup/system.slice/jaild.service");
  cgroups c(*l);
  CHECK(c.jail_dirs("web.1") ==
        std::vector<fs::path>{"/sys/fs/cgroup/system.slice/jaild.service/jaild/web.1"});
  // On v2 the socket hooks attach to the jail's own directory.
  CHECK(c.socket_dir("web.1") == c.jail_dirs("web.1").front());
  // After jaild moved itself into its leaf, the base stays the same.
  l = cgroup_layout_from("0::/system.slice/jaild.service/jaild.daemon\n", mountinfo, "memory pids");
  CHECK(l->own.at("") == "/sys/fs/cgroup/system.slice/jaild.service");
}

TEST_CASE("cgroup layout: nothing usable", "[host_linux]") {
  CHECK_FALSE(cgroup_layout_from(
      "0::/\n", "36 30 0:32 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n", "hugetlb\n"));
}

TEST_CASE("cgroup layout: a leaf names its jail", "[host_linux]") {
  CHECK(cgroup_leaf("web-1", "7f3a") == "web-1.7f3a");
  CHECK(jail_name_of_leaf("web-1.7f3a") == "web-1");
  CHECK(jail_name_of_leaf("web-1.a.b") == "web-1");
}
