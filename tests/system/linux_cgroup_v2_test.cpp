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
    cgroups cg(layout);
    const std::string leaf = cgroup_leaf(prefix() + "-v2", "i1");
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

    ::syscall(SYS_pidfd_send_signal, l.pidfd.get(), SIGKILL, nullptr, 0);
    siginfo_t info{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(l.pidfd.get()), &info, WEXITED);
    CHECK(cg.remove(dirs, &what) == 0);
    CHECK_FALSE(fs::exists(dirs[0]));
    CHECK_FALSE(fs::exists(dirs[0].parent_path()));  // the shared parent went with it
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}
