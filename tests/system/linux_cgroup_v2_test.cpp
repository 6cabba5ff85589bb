// The cgroup v2 side of the adapter, on what this kind of host offers: the
// hybrid layout's controller-less unified hierarchy. It cannot hold limits,
// but directories, CLONE_INTO_CGROUP, membership, cpu.stat and removal are
// the same code a v2 host runs.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "lib/host/linux/cgroup.h"
#include "lib/host/linux/images.h"
#include "lib/host/linux/launcher.h"
#include "tests/system/system_support.h"

using namespace jaild;
using namespace jaild::systest;
using namespace jaild::host::linux_host;

TEST_CASE("cgroup v2: jail directories, CLONE_INTO_CGROUP and removal", "[system]") {
  require_prerequisites();
  std::ifstream self("/proc/self/cgroup");
  std::string line, unified_path;
  while (std::getline(self, line))
    if (line.rfind("0::", 0) == 0) unified_path = line.substr(3);
  const fs::path mount = fs::exists("/sys/fs/cgroup/unified/cgroup.procs")
                             ? fs::path("/sys/fs/cgroup/unified")
                             : fs::path("/sys/fs/cgroup");
  if (unified_path.empty() || !fs::exists(mount / "cgroup.procs")) {
    WARN("SKIPPED: this kernel has no cgroup2 hierarchy mounted");
    return;
  }
  const auto before = count_host_objects();
  {
    cgroup_layout layout;
    layout.version = cgroup_version::v2;
    layout.own[""] = mount / fs::path(unified_path).relative_path();
    // This jaild instance's own parent ("jaild-<tag>"), and the shared one
    // of jailds from before instance tags.
    const std::string tag = prefix().substr(0, 5);
    cgroups cg(layout, cgroup_parent_name(tag));
    cgroups legacy(layout);
    const std::string leaf = cg.leaf(prefix() + "-v2", tag + "1");
    REQUIRE(leaf == "jaild-" + tag + "/" + prefix() + "-v2." + tag + "1");
    std::string what;
    REQUIRE(cg.create(leaf, "", &what) == 0);
    const auto dirs = cg.jail_dirs(leaf);
    REQUIRE(dirs.size() == 1);
    CHECK(fs::is_directory(dirs[0]));
    CHECK(cg.join_files(leaf) == std::vector<fs::path>{dirs[0] / "cgroup.procs"});

    rootfs root("v2");
    unique_fd dir(::open(dirs[0].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    unique_fd status(::memfd_create("jaild-status", MFD_CLOEXEC));
    launch_options o;
    o.root = root.path().string();
    o.hostname = "v2";
    o.init_fd = init_image_fd();
    o.status_fd = status.get();
    o.argv = {"jaild-init", "persist", "jail=v2", "--"};
    o.env = {"PATH=/bin"};
    o.cgroup_fd = dir.get();
    auto l = launch_jail(o);
    // Born in the jail's cgroup: nothing of it ever ran outside.
    CHECK(cg.procs(leaf) == std::vector<pid_t>{l.pid});
    CHECK(cg.leaf_of(l.pid) == leaf);
    CHECK(cg.leaves() == std::vector<std::string>{leaf});
    CHECK(cg.usage(leaf).cpu_ns.has_value());

    // A directory that is there already is never taken.
    CHECK(cg.create(leaf, "", &what) == EEXIST);
    CHECK(cg.existing(leaf) == dirs);

    // A jail an older jaild started, in the legacy parent: after the upgrade
    // it is still found by its process (so it is adopted) and run as before,
    // but it is not listed among this instance's own leaves.
    const std::string old_leaf = legacy.leaf(prefix() + "-old", "1");
    REQUIRE(old_leaf == "jaild/" + prefix() + "-old.1");
    REQUIRE(legacy.create(old_leaf, "", &what) == 0);
    const auto old_dirs = legacy.jail_dirs(old_leaf);
    unique_fd old_dir(::open(old_dirs[0].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    unique_fd old_status(::memfd_create("jaild-status", MFD_CLOEXEC));
    o.status_fd = old_status.get();
    o.cgroup_fd = old_dir.get();
    auto old_init = launch_jail(o);
    CHECK(cg.leaf_of(old_init.pid) == old_leaf);
    CHECK(cg.procs(old_leaf) == std::vector<pid_t>{old_init.pid});
    CHECK(cg.dir("", old_leaf) == old_dirs[0]);
    CHECK(cg.leaves() == std::vector<std::string>{leaf});
    // Another instance's parent is not this one's: its jails are not found.
    cgroups other(layout, cgroup_parent_name("zz" + tag.substr(2)));
    CHECK_FALSE(other.leaf_of(l.pid));
    CHECK(other.leaves().empty());

    for (auto* init : {&l, &old_init}) {
      ::syscall(SYS_pidfd_send_signal, init->pidfd.get(), SIGKILL, nullptr, 0);
      siginfo_t info{};
      ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(init->pidfd.get()), &info,
               WEXITED);
    }
    CHECK(cg.remove(dirs, &what) == 0);
    CHECK_FALSE(fs::exists(dirs[0]));
    CHECK_FALSE(fs::exists(dirs[0].parent_path()));  // the instance's parent went with it
    CHECK(cg.remove(old_dirs, &what) == 0);  // an adopted jail's, by its ledgered paths
    CHECK_FALSE(fs::exists(old_dirs[0]));
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}
