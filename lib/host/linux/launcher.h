// Starts a jail: clone3 into new mount, PID, UTS and IPC namespaces (and a
// network namespace when asked), then, in the child, the jail's fstab mounts
// (inside its own mount namespace only: the host never has them, so none can
// be left behind), pivot_root into the jail's path, /proc with runc's masks
// and read-only paths, a minimal /dev (tmpfs with null, zero, full, random,
// urandom, tty, /dev/pts, /dev/shm), the hostname, rlimits, CPU affinity, a
// session keyring of its own, the capability sets, the seccomp filter, and
// exec of jaild-init from a memfd as PID 1.
//
// Every path below the jail's root is opened with openat2 and
// RESOLVE_NO_SYMLINKS (resolve.h): a mount target, /dev or /proc that jail
// root replaced with a symbolic link fails the start instead of being
// followed.
//
// The child of clone3 in a multithreaded daemon may only make system calls, so
// everything it needs is prepared in the parent first. The child joins the
// jail's cgroups before anything else (v2: it is born there, CLONE_INTO_CGROUP),
// so that every process of the jail is in them from its first instruction.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

class seccomp_program;

// One fstab entry, as the child mounts it with the new mount API
// (open_tree/fsmount, then move_mount onto the target's fd).
struct launch_mount {
  bool bind = true;         // nullfs: a recursive bind of `source`; else tmpfs
  std::string source;       // bind: the host path
  std::string target;       // below the root, relative ("srv/data")
  bool read_only = false;   // recursively, for a bind
  std::vector<std::pair<std::string, std::string>> options;  // tmpfs: fsconfig key, value
};

struct launch_options {
  std::string root;  // the jail's path (a directory)
  std::string hostname;
  bool new_netns = true;
  int netns_fd = -1;                  // with new_netns: a made namespace to enter instead
                                      // of CLONE_NEWNET (netns_pool), loopback already up
  int init_fd = -1;                            // the jaild-init executable (memfd)
  int status_fd = -1;                          // becomes init's fd 3
  int console_fd = -1;                         // init's stdout and stderr; -1 = /dev/null
  std::vector<std::string> argv;               // init's argv
  std::vector<std::string> env;                // init's environment, "K=V"
  std::vector<int> cpus;                       // affinity; empty = inherit
  std::optional<std::uint64_t> nofile;         // RLIMIT_NOFILE (soft = hard)
  std::optional<std::uint64_t> address_space;  // RLIMIT_AS
  std::vector<int> drop_capabilities;  // from the bounding set; the inheritable set is cleared
  const seccomp_program* seccomp = nullptr;  // installed just before exec; null = none
  std::vector<launch_mount> mounts;
  int cgroup_fd = -1;         // v2: CLONE_INTO_CGROUP; -1 = none
  std::vector<int> join_fds;  // v1: the jail's `tasks` files, open for writing
};

class launch_error : public std::runtime_error {
 public:
  launch_error(int err, const std::string& what) : std::runtime_error(what), err_(err) {}
  int err() const { return err_; }

 private:
  int err_;
};

struct launched {
  pid_t pid = -1;
  unique_fd pidfd;
};

// Throws launch_error naming the step that failed; a child that failed has
// been reaped.
launched launch_jail(const launch_options& options);

// The flags used, for the journal: "CLONE_NEWNS|CLONE_NEWPID|...".
std::string clone_flags_text(bool new_netns, bool made_netns);

}  // namespace jaild::host::linux_host
