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
  cgroups c(*l, cgroup_parent_name("k3f9q"));
  const auto leaf = c.leaf("web", "k3f9q7f");
  CHECK(leaf == "jaild-k3f9q/web.k3f9q7f");
  CHECK(c.dir("memory", leaf) ==
        "/sys/fs/cgroup/memory/process_api/c3c5/jaild-k3f9q/web.k3f9q7f");
  CHECK(c.jail_dirs(leaf).size() == 5);
  // The unified hierarchy beside them: where a shared-IP jail's socket hooks go.
  REQUIRE(l->unified);
  CHECK(*l->unified == "/sys/fs/cgroup/unified");
  CHECK(c.socket_dir(leaf) == fs::path("/sys/fs/cgroup/unified/jaild-k3f9q/web.k3f9q7f"));
  // A jail of a jaild before instance tags (adopted after an upgrade) keeps
  // its directory in the shared legacy parent.
  CHECK(c.dir("pids", "jaild/web.1") == "/sys/fs/cgroup/pids/jaild/web.1");
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
  cgroups c(*l);  // no tag: the legacy parent
  const auto leaf = c.leaf("x", "1");
  CHECK(leaf == "jaild/x.1");
  CHECK(c.jail_dirs(leaf).size() == 4);
  CHECK(c.dir("cpu", leaf) == c.dir("cpuacct", leaf));
  CHECK(c.dir("pids", leaf) == "/sys/fs/cgroup/pids/d/jaild/x.1");
  // No unified hierarchy mounted: no socket directory.
  CHECK_FALSE(l->unified);
  CHECK_FALSE(c.socket_dir(leaf));
}

TEST_CASE("cgroup layout: v2 when the unified hierarchy has the memory controller",
          "[host_linux]") {
  const char* mountinfo = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
  auto l = cgroup_layout_from("0::/system.slice/jaild.service\n", mountinfo,
                              "cpuset cpu io memory pids\n");
  REQUIRE(l);
  CHECK(l->version == cgroup_version::v2);
  CHECK(l->own.at("") == "/sys/fs/cgroup/system.slice/jaild.service");
  cgroups c(*l, cgroup_parent_name("k3f9q"));
  const auto leaf = c.leaf("web", "k3f9q1");
  CHECK(c.jail_dirs(leaf) ==
        std::vector<fs::path>{"/sys/fs/cgroup/system.slice/jaild.service/jaild-k3f9q/web.k3f9q1"});
  // On v2 the socket hooks attach to the jail's own directory.
  CHECK(c.socket_dir(leaf) == c.jail_dirs(leaf).front());
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
  CHECK(jail_name_of_leaf("jaild-k3f9q/web-1.k3f9q2") == "web-1");
  CHECK(jail_name_of_leaf("jaild/web-1.2") == "web-1");
}

TEST_CASE("cgroup layout: each jaild instance has a parent of its own", "[host_linux]") {
  CHECK(cgroup_parent_name("k3f9q") == "jaild-k3f9q");
  CHECK(cgroup_parent_name("") == "jaild");
  auto l = cgroup_layout_from(hybrid_self, hybrid_mountinfo, "hugetlb\n");
  REQUIRE(l);
  cgroups a(*l, cgroup_parent_name("aaaaa")), b(*l, cgroup_parent_name("bbbbb"));
  // The same jail name and instance counter in two jailds: two directories.
  CHECK(a.dir("pids", a.leaf("web", "1")) != b.dir("pids", b.leaf("web", "1")));
}
