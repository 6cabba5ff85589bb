// The jail cgroups: one directory per jail in each hierarchy jaild uses, below
// jaild's own cgroup (delegation style, never at a hierarchy root), in a
// parent of this jaild instance's own, "jaild-<tag>" (the tag of its state
// database, store::instance_tag), so that two jailds sharing a host and a
// cgroup never share a parent:
//   v1: <mount of memory, pids, cpu, cpuacct, cpuset>/<jaild's own path>/jaild-<tag>/<name>.<instance>
//   v2: <mount>/<jaild's own path>/jaild-<tag>/<name>.<instance>
// On a v1 host that also mounts the unified (v2) hierarchy, a shared-IP jail
// gets one more directory there, with no controllers, for the socket hooks
// that hold it to its addresses (socket_hooks.h):
//   <cgroup2 mount>/<jaild's own path>/jaild-<tag>/<name>.<instance>
// The version is detected at run time: v1 when a v1 memory hierarchy is
// mounted (this is the hybrid layout of hosts like this one), else v2 when the
// unified hierarchy offers the memory controller.
//
// A jail's "leaf" is its directory relative to jaild's own cgroup:
// "jaild-<tag>/<name>.<instance>". Jail names have no dots, so the name is
// everything before the first dot of the last part, and list_jails() can find
// a jail's name from a cgroup directory that nothing inside the jail can
// rename. Jails started before instance tags existed live in the shared
// parent "jaild" (cgroup_legacy_parent): leaf_of() still finds them, so that
// they are adopted after an upgrade, but nothing new is made there and
// leaves() does not list that parent (it may hold other jailds' jails).
//
// Thread-safe: creating and removing the parent directories is serialised;
// everything else touches one jail's own directories.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/host/linux/limits.h"
#include "lib/host/linux/proc_text.h"

namespace jaild::host::linux_host {

namespace fs = std::filesystem;

inline constexpr std::string_view cgroup_legacy_parent = "jaild";
// "jaild-<tag>", or cgroup_legacy_parent for an empty tag.
std::string cgroup_parent_name(std::string_view instance_tag);
// On v2, jaild moves itself into this leaf when its own cgroup must delegate
// controllers (a v2 cgroup with processes cannot enable them for children).
inline constexpr std::string_view cgroup_v2_daemon_leaf = "jaild.daemon";

// Where jaild's own cgroup is in each hierarchy it uses.
struct cgroup_layout {
  cgroup_version version = cgroup_version::v1;
  // v1: controller -> directory of jaild's own cgroup in that hierarchy
  // ("cpu" and "cpuacct" map to the same directory when co-mounted). v2: the
  // single key "" -> jaild's own directory.
  std::map<std::string, fs::path> own;
  // v1 only: jaild's own directory in the unified hierarchy, when one is
  // mounted (it carries no controllers here; socket hooks attach to it).
  std::optional<fs::path> unified;
};

// The controllers jaild uses on v1, in the order directories are created.
const std::vector<std::string>& v1_controllers();

// Pure: the layout from /proc/self/cgroup and /proc/self/mountinfo. For v2,
// `v2_controllers` is the content of the unified root's cgroup.controllers.
// nullopt when neither a v1 memory hierarchy nor a v2 memory controller exists.
std::optional<cgroup_layout> cgroup_layout_from(std::string_view proc_cgroup,
                                                std::string_view mountinfo,
                                                std::string_view v2_controllers);

// Pure: "web.7f3a" for jail "web", instance "7f3a"; and back to the name
// (from "web.7f3a" or from a leaf "jaild-k3f9q/web.7f3a").
std::string cgroup_leaf(std::string_view jail_name, std::string_view instance);
std::string jail_name_of_leaf(std::string_view leaf);

struct cgroup_usage {
  std::optional<std::uint64_t> memory_bytes;
  std::optional<std::uint64_t> procs;
  std::optional<std::uint64_t> cpu_ns;
};

class cgroups {
 public:
  // `parent` is this instance's parent directory name (cgroup_parent_name).
  explicit cgroups(cgroup_layout layout, std::string parent = std::string(cgroup_legacy_parent))
      : layout_(std::move(layout)), parent_name_(std::move(parent)) {}

  // Reads /proc/self/cgroup and mountinfo; null when no usable hierarchy.
  static std::unique_ptr<cgroups> discover(std::string parent);

  // The leaf of a jail of this instance: "<parent>/<name>.<instance>".
  std::string leaf(std::string_view jail_name, std::string_view instance) const;

  cgroup_version version() const { return layout_.version; }
  const cgroup_layout& layout() const { return layout_; }

  // The directories of one jail, one per hierarchy (deduplicated).
  std::vector<fs::path> jail_dirs(std::string_view leaf) const;
  // The directory of one controller ("memory"; v2 ignores the controller).
  fs::path dir(std::string_view controller, std::string_view leaf) const;

  // Creates the jail's directories (and the parents when missing) and
  // gives its cpuset the CPUs (`cpus`, or all of jaild's when empty) and the
  // memory nodes before any task joins. Returns 0 or the errno, with *what set
  // to the path that failed: EEXIST when a jail directory is there already
  // (never jaild's to take; see existing()).
  int create(std::string_view leaf, const std::string& cpus, std::string* what);
  // The directory in the unified hierarchy that socket hooks attach to: the
  // jail's own directory on v2, the extra one on v1 (nullopt when the host
  // has no unified hierarchy).
  std::optional<fs::path> socket_dir(std::string_view leaf) const;
  // Creates socket_dir() on v1 (on v2 create() made it). 0 or the errno.
  int create_socket_dir(std::string_view leaf, std::string* what);
  // Writes limit files; 0 or the errno of the first failure (and *what).
  int apply(std::string_view leaf, const std::vector<cgroup_write>& writes, std::string* what);
  int set_cpus(std::string_view leaf, const std::string& cpus, std::string* what);
  // The files a single-threaded process writes "0" into to join the jail
  // itself. On v1 these are the `tasks` files: moving only the calling thread
  // skips the global cgroup_threadgroup_rwsem, whose write side costs an RCU
  // grace period (7 ms measured here on the first write to cgroup.procs).
  // On v2, cgroup.procs. On v1, the cgroup.procs of the jail's socket
  // directory as well, when it has one.
  std::vector<fs::path> join_files(std::string_view leaf) const;
  // Processes in the jail (from the pids hierarchy on v1).
  std::vector<pid_t> procs(std::string_view leaf) const;
  // Processes in one directory (for cleanup from ledger attributes).
  static std::vector<pid_t> procs_of(const fs::path& dir);
  cgroup_usage usage(std::string_view leaf) const;

  // The jail directories of `leaf` (and its socket directory) that exist.
  std::vector<fs::path> existing(std::string_view leaf) const;

  // Removes directories (ENOENT is success) and then the parents that are
  // left empty (this instance's, or the legacy one). Returns 0 or the errno of the first directory that stays.
  int remove(const std::vector<fs::path>& dirs, std::string* what);

  // The leaf a process is in, when it is in a jail of this instance's parent
  // (or the legacy parent).
  std::optional<std::string> leaf_of(pid_t pid) const;
  // Every jail leaf under this instance's parent (never another instance's).
  std::vector<std::string> leaves() const;

 private:
  // jaild's own directory for a controller, and this instance's parent in it.
  fs::path own(const std::string& controller) const;
  fs::path parent(const std::string& controller) const;
  bool is_parent_name(const fs::path& name) const;
  int ensure_parent(const std::string& controller, std::string* what);
  // The controller whose directory lists the jail's processes.
  std::string tracking_controller() const;

  cgroup_layout layout_;
  std::string parent_name_;
  std::mutex parents_mutex_;
};

}  // namespace jaild::host::linux_host
